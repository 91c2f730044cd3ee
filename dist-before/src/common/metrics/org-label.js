/**
 * Cardinality budget for the `org` label: the first ORG_LABEL_BUDGET distinct orgs seen by this
 * process keep their id; later ones are folded into "other". Per-org series are therefore
 * bounded by budget × (other labels) per metric, whatever the number of tenants.
 */
export const ORG_LABEL_BUDGET = Number(process.env.METRICS_ORG_LABEL_BUDGET ?? 50);
const seen = new Set();
export function orgLabel(orgId) {
    if (!orgId)
        return 'none';
    if (seen.has(orgId))
        return orgId;
    if (seen.size < ORG_LABEL_BUDGET) {
        seen.add(orgId);
        return orgId;
    }
    return 'other';
}
//# sourceMappingURL=org-label.js.map