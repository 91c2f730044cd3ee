import { loadEnv } from '../src/config/env.js';
import { slicesOf } from '../src/config/slices.js';
import { maintainOrgIndexesAt, orgIndexOptionsOf, signedTenantOpener } from '../src/modules/search/org-indexes.js';
import { parseContextKeys } from '../src/tenancy/context-mac.js';
/**
 * npm run search:org-indexes: one per-org search index pass now (what a worker process runs every
 * SEARCH_ORG_INDEX_INTERVAL_MS), as DATABASE_OWNER_URL, with the SEARCH_ORG_INDEX_* settings.
 * Prints what it created and dropped; does nothing while another process runs a pass.
 */
async function main() {
    const env = loadEnv();
    const { database, search, tenantContext } = slicesOf(env);
    if (!database.ownerUrl)
        throw new Error('DATABASE_OWNER_URL is required: the indexes are built as the owner role');
    const pass = await maintainOrgIndexesAt(database.ownerUrl, orgIndexOptionsOf(search), (msg) => console.log(msg), signedTenantOpener(parseContextKeys(tenantContext.keys)[0], tenantContext.ttlMs));
    if (!pass.ran)
        console.log('another process is running a pass: nothing done');
    else
        console.log(`per-org indexes: ${pass.created.length} created, ${pass.dropped.length} dropped, ${pass.calibrated.length} calibrated`);
}
main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
//# sourceMappingURL=search-org-indexes.js.map