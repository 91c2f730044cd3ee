-- RLS audit: psql "$DATABASE_URL" -f scripts/audit/verify-rls.sql
-- (npm run audit runs this file through the pg package; it drops the psql meta-commands.)
--
-- Each finding is one WARNING line "<where>: <problem> -- fix: <how>"; the script ends with an
-- ERROR (non-zero psql exit) when there is any. Read-only. Any role can run it (catalogs only);
-- the app role checked is rocker_app, or `PGOPTIONS='-c audit.app_role=<name>'`.
--
-- Checks:
--  1. every table with an org_id column: RLS enabled AND forced, a permissive policy for each of
--     SELECT, INSERT, UPDATE, DELETE (or ALL), org_id NOT NULL, org_id the leading column of an index;
--  2. every policy on such a table restricts rows to the current org (a top-level
--     `org_id = (select app_ctx_org())` condition: the verified org) and calls no non-leakproof
--     function on a row column before that comparison (static check of the policy's expression tree);
--     no policy on any table reads an app.* setting directly (current_setting('app....')): a setting
--     alone is what an injection can forge, the app_ctx_*() functions check tenant_begin()'s mark;
--  3. the app role, and the worker role (rocker_worker, or `-c audit.worker_role=...`) when it
--     exists, is not superuser, has no BYPASSRLS, cannot SET ROLE to a role that is or has, and owns
--     no table, schema or function (neither can any role it can become);
--  4. every SECURITY DEFINER function is listed (NOTICE), is on the reviewed list below, has a
--     fixed search_path (proconfig), and is not owned by a superuser; one the app role may execute
--     must also be on the shorter list of those reviewed for the API (the ingest dispatcher's are
--     the worker role's alone).
\set ON_ERROR_STOP on
\set QUIET on
BEGIN READ ONLY;
DO $audit$
DECLARE
  app_role CONSTANT text := coalesce(nullif(current_setting('audit.app_role', true), ''), 'rocker_app');
  worker_role CONSTANT text := coalesce(nullif(current_setting('audit.worker_role', true), ''), 'rocker_worker');
  v_role text;
  v_kind text;
  -- Reviewed SECURITY DEFINER functions: each runs with its owner's rights, a door around RLS.
  -- Add one only after review, with its reason here:
  --  * public.auth_context(uuid): the guard reads a verified user's memberships before any org is
  --    set; owned by rocker_auth (SELECT on users, org_members only); answers for the id given only.
  --  * public.tenant_begin(uuid, uuid, text, text, text, bigint, text, bytea): first statement of
  --    every tenant transaction; refuses a context without the service's valid, unexpired HMAC,
  --    re-checks the membership/role and super_admin the instance cached, then sets the
  --    transaction-local app.* settings and their mark; owned by rocker_auth; reads users,
  --    org_members and the key tables only.
  --  * public.app_ctx_org(), app_ctx_user(), app_ctx_actor_role(), app_ctx_request_id(): the
  --    setting when this transaction's mark holds, else NULL; read the mark secret only (rocker_auth).
  reviewed_definers CONSTANT text[] := ARRAY[
    'public.auth_context(uuid)',                           -- the guard's membership lookup (rocker_auth; reads users + org_members for one user id)
    'public.tenant_begin(uuid, uuid, text, text, text, bigint, text, bytea)', -- verifies the signed context, re-checks membership, sets the tenant settings and their mark (rocker_auth)
    'public.app_ctx_org()',                                -- the verified org, for every policy (rocker_auth; reads the mark secret)
    'public.app_ctx_user()',                               -- the verified user (rocker_auth; reads the mark secret)
    'public.app_ctx_actor_role()',                         -- the verified actor role (rocker_auth; reads the mark secret)
    'public.app_ctx_request_id()',                         -- the verified request id (rocker_auth; reads the mark secret)
    'public.feature_flag_audit_write()',                   -- trigger: appends flag audit rows the app role may not insert itself
    'public.ingest_dispatch_claim(integer, integer, integer, boolean)', -- dispatcher: claims queued jobs of every org, routing columns only (rocker_dispatch)
    'public.ingest_dispatch_unclaim(uuid[], uuid[])',      -- dispatcher: un-marks claimed rows the queue refused (dispatched_at only; rocker_dispatch)
    'public.ingest_dispatched_queued(integer, integer)',   -- dispatcher: re-sends dispatched-but-lost jobs, routing columns only (rocker_dispatch)
    'public.ingest_queue_stats()',                         -- queue depth per org for the metrics, counts only (rocker_dispatch)
    'public.ingest_reap_expired(integer)',                 -- dispatcher: running rows whose lease expired back to queued (status, dispatched_at, lease columns only; rocker_dispatch)
    'public.search_org_sizes(bigint)',                     -- per-org search index pass: chunk count per org over a size, org_id column only; the owner role alone executes it (rocker_dispatch)
    'public.invitation_accept(uuid, uuid, bytea, text)',   -- the invitee (not a member yet) accepts: one invitation, matched by the sha256 of its secret, only for app.user_id whose account (or, for a new user, verified token) e-mail is the invited one; creates that user and membership only; returns org + role (rocker_auth)
    'public.set_default_org(uuid)',                        -- sets users.default_org_id of app.user_id only, to an org they belong to (rocker_auth)
    'public.org_keep_an_owner()',                          -- trigger: locks the org row and refuses removing its last owner, counting across RLS (rocker_auth)
    'public.org_audit_write()',                            -- trigger: appends org_audit_log rows the app role may not insert itself; drops the token hash (rocker_auth)
    'public.org_storage_count_knowledge_items()',          -- statement trigger: adds the inserted (or subtracts the deleted) rows' document bytes to their own orgs' org_storage counts, which the app role may only read (rocker_auth; SELECT, INSERT, UPDATE on org_storage, SELECT (id) on orgs)
    'public.org_storage_resize_knowledge_items()',         -- row trigger: an item's change in document bytes, to its own org's count (rocker_auth, as above)
    'public.org_storage_count_knowledge_blobs()',          -- statement trigger: the same for upload blobs
    'public.org_storage_count_rocker_messages()',          -- statement trigger: the same for thread messages
    'public.org_storage_count_rocker_threads()',           -- statement trigger: the same for thread rows (their titles)
    'public.org_storage_resize_rocker_threads()',          -- row trigger: a thread's change in title bytes, to its own org's count
    'public.org_storage_count_org_invitations()',          -- statement trigger: the same for invitation rows
    'public.org_storage_count_outbox_events()',            -- statement trigger: the same for outbox rows
    'public.org_storage_count_org_audit_log()',            -- statement trigger: the same for membership and invitation audit rows
    'public.org_storage_count_knowledge_items_meta()',     -- statement trigger: the same for an item's title, source URL, file name and error
    'public.org_storage_resize_knowledge_items_meta()',    -- row trigger: an item's change in those bytes, to its own org's count
    'public.org_storage_count_ingest_jobs()',              -- statement trigger: the same for ingest job rows (payload, error, keys)
    'public.org_storage_resize_ingest_jobs()'              -- row trigger: a job's change in its error's bytes, to its own org's count
  ];
  -- Of those, the ones the API role (app_role) may EXECUTE, each reviewed as a door an injection
  -- in the API can open. The ingest dispatcher's functions are not here: only the worker role
  -- runs them (WorkerRole migration). Trigger functions need no EXECUTE grant to fire.
  reviewed_app_definers CONSTANT text[] := ARRAY[
    'public.auth_context(uuid)',                           -- answers for the verified user id it is given only
    'public.tenant_begin(uuid, uuid, text, text, text, bigint, text, bytea)', -- refuses a context the service did not sign
    'public.app_ctx_org()',                                -- this transaction's verified context only
    'public.app_ctx_user()',
    'public.app_ctx_actor_role()',
    'public.app_ctx_request_id()',
    'public.invitation_accept(uuid, uuid, bytea, text)',   -- needs the invitation's secret and the verified user
    'public.set_default_org(uuid)'                         -- the verified user's own default, to an org they belong to
  ];
  -- Policies on org_id tables that deliberately do not restrict rows to the current org
  -- ('schema.table.policy'), e.g. a shared read. Empty: every tenant policy compares org_id.
  -- feature_flag_overrides is a platform table per SPEC §6 (flags and per-org overrides: everyone
  -- reads their own org's, only a super_admin writes, for any org): its policies gate on
  -- flags_actor_is_super_admin() (actor role AND a super_admin user in the database).
  shared_policies CONSTANT text[] := ARRAY[
    'public.feature_flag_overrides.feature_flag_overrides_select',
    'public.feature_flag_overrides.feature_flag_overrides_insert',
    'public.feature_flag_overrides.feature_flag_overrides_update',
    'public.feature_flag_overrides.feature_flag_overrides_delete',
    -- the dispatcher's own role (NOLOGIN, reached only through its SECURITY DEFINER functions)
    -- sees the routing columns of every org's jobs and the job_concurrency of every org
    'public.ingest_jobs.ingest_jobs_dispatcher_select',
    'public.ingest_jobs.ingest_jobs_dispatcher_update',
    'public.org_limits.org_limits_dispatcher_select',
    -- the same role, inside search_org_sizes() only: the org_id column of every org's chunks (counts)
    'public.private_chunks.private_chunks_sizer_select'
  ]::text[];
  n_findings int := 0;
  n_tables int := 0;
  n_definers int := 0;
  v_tbl record;
  v_pol record;
  v_expr record;
  v_rec record;
  v_cmd record;
  -- policy expression scan (a small reader for pg_node_tree text)
  tok text;
  expect text;
  field text;
  sp int;
  qdepth int;
  conj int;
  gate int;
  is_row boolean;
  leaks text[];
  leak text;
  st_type text[];
  st_func oid[];
  st_opno oid[];
  st_row boolean[];
  st_orgd boolean[];
  st_other boolean[];
  st_attno int[];
  st_lvl int[];
  st_conj int[];
  st_boolop text[];
BEGIN
  ---------------------------------------------------------------- 1 + 2: tenant tables
  FOR v_tbl IN
    SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name, c.relrowsecurity, c.relforcerowsecurity,
           a.attnum AS org_attnum, a.attnotnull
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND a.attnum > 0 AND NOT a.attisdropped
     WHERE c.relkind IN ('r', 'p')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
     ORDER BY 2
  LOOP
    n_tables := n_tables + 1;
    IF NOT v_tbl.relrowsecurity THEN
      n_findings := n_findings + 1;
      RAISE WARNING '%: row-level security is not enabled -- fix: ALTER TABLE % ENABLE ROW LEVEL SECURITY (new tenant tables: ...tenantTableSql(''%'') in the migration, a copy of the helper in src/migrations/1764100600000-KnowledgeBlobs.ts)',
        v_tbl.name, v_tbl.name, split_part(v_tbl.name, '.', 2);
    END IF;
    IF NOT v_tbl.relforcerowsecurity THEN
      n_findings := n_findings + 1;
      RAISE WARNING '%: row-level security is not forced (the owner role bypasses it) -- fix: ALTER TABLE % FORCE ROW LEVEL SECURITY',
        v_tbl.name, v_tbl.name;
    END IF;
    FOR v_cmd IN SELECT * FROM (VALUES ('SELECT', 'r', 1), ('INSERT', 'a', 2), ('UPDATE', 'w', 3), ('DELETE', 'd', 4)) v(name, code, ord) ORDER BY ord LOOP
      IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = v_tbl.oid AND polpermissive AND polcmd IN (v_cmd.code, '*')) THEN
        n_findings := n_findings + 1;
        RAISE WARNING '%: no policy for % -- fix: CREATE POLICY %_% ON % FOR % ... comparing org_id with the current org (tenantTableSql, as in src/migrations/1764100600000-KnowledgeBlobs.ts)',
          v_tbl.name, v_cmd.name, split_part(v_tbl.name, '.', 2), lower(v_cmd.name), v_tbl.name, v_cmd.name;
      END IF;
    END LOOP;
    IF NOT v_tbl.attnotnull THEN
      n_findings := n_findings + 1;
      RAISE WARNING '%: org_id is nullable -- fix: backfill it, then ALTER TABLE % ALTER COLUMN org_id SET NOT NULL', v_tbl.name, v_tbl.name;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = v_tbl.oid AND i.indkey[0] = v_tbl.org_attnum) THEN
      n_findings := n_findings + 1;
      RAISE WARNING '%: org_id is not the leading column of any index -- fix: put org_id first in the primary key, or CREATE INDEX ON % (org_id, ...)',
        v_tbl.name, v_tbl.name;
    END IF;

    FOR v_pol IN
      SELECT pol.polname, CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END AS cmd,
             pol.polqual::text AS qual, pg_get_expr(pol.polqual, pol.polrelid) AS qual_sql,
             pol.polwithcheck::text AS chk, pg_get_expr(pol.polwithcheck, pol.polrelid) AS chk_sql
        FROM pg_policy pol WHERE pol.polrelid = v_tbl.oid ORDER BY pol.polname
    LOOP
      CONTINUE WHEN (v_tbl.name || '.' || v_pol.polname) = ANY (shared_policies);
      FOR v_expr IN SELECT * FROM (VALUES ('USING', v_pol.qual, v_pol.qual_sql), ('WITH CHECK', v_pol.chk, v_pol.chk_sql)) v(clause, tree, sql) WHERE v.tree IS NOT NULL LOOP
        -- Walk the expression tree. A frame per node; a VAR is a column of the policy's row when its
        -- varlevelsup equals the number of enclosing sub-queries. "Conjuncts" are the top-level AND
        -- arms, in order; the gate is the first conjunct that is `org_id = <no row column>` with a
        -- leakproof equality.
        sp := 0; qdepth := 0; conj := 0; gate := NULL; expect := ''; field := ''; leaks := ARRAY[]::text[];
        st_type := '{}'; st_func := '{}'; st_opno := '{}'; st_row := '{}'; st_orgd := '{}'; st_other := '{}';
        st_attno := '{}'; st_lvl := '{}'; st_conj := '{}'; st_boolop := '{}';
        FOR tok IN
          SELECT m.tok[1] FROM regexp_matches(v_expr.tree, '(\\.|[{}()]|:[A-Za-z_]+|[^\s{}()\\:]+)', 'g') WITH ORDINALITY AS m(tok, i) ORDER BY m.i
        LOOP
          IF expect = 'type' THEN
            sp := sp + 1;
            st_type[sp] := tok; st_func[sp] := NULL; st_opno[sp] := NULL; st_row[sp] := false; st_orgd[sp] := false;
            st_other[sp] := false; st_attno[sp] := NULL; st_lvl[sp] := NULL; st_boolop[sp] := NULL;
            IF sp = 1 THEN
              st_conj[sp] := 1;
            ELSIF sp = 2 AND st_type[1] = 'BOOLEXPR' AND st_boolop[1] = 'and' THEN
              conj := conj + 1; st_conj[sp] := conj;
            ELSE
              st_conj[sp] := st_conj[sp - 1];
            END IF;
            IF tok = 'QUERY' THEN qdepth := qdepth + 1; END IF;
            expect := '';
          ELSIF tok = '{' THEN
            expect := 'type';
          ELSIF tok = '}' THEN
            is_row := st_row[sp] OR (st_type[sp] = 'VAR' AND st_lvl[sp] = qdepth);
            IF is_row AND st_type[sp] IN ('FUNCEXPR', 'OPEXPR', 'DISTINCTEXPR', 'NULLIFEXPR', 'SCALARARRAYOPEXPR')
               AND st_func[sp] IS NOT NULL AND NOT (SELECT proleakproof FROM pg_proc WHERE oid = st_func[sp]) THEN
              leaks := leaks || (st_conj[sp] || ':function ' || st_func[sp]::regproc::text || '()');
            ELSIF is_row AND st_type[sp] = 'COERCEVIAIO' THEN
              leaks := leaks || (st_conj[sp] || ':a cast through text I/O');
            END IF;
            IF st_type[sp] = 'OPEXPR' AND st_orgd[sp] AND NOT st_other[sp] AND qdepth = 0 AND gate IS NULL
               AND (sp = 1 OR (sp = 2 AND st_type[1] = 'BOOLEXPR' AND st_boolop[1] = 'and'))
               AND (SELECT oprname FROM pg_operator WHERE oid = st_opno[sp]) = '='
               AND (SELECT proleakproof FROM pg_proc WHERE oid = st_func[sp]) THEN
              gate := st_conj[sp];
            END IF;
            IF sp > 1 THEN
              IF is_row THEN st_row[sp - 1] := true; END IF;
              IF st_type[sp] = 'VAR' AND is_row AND st_attno[sp] = v_tbl.org_attnum THEN
                st_orgd[sp - 1] := true;
              ELSIF is_row THEN
                st_other[sp - 1] := true;
              END IF;
            END IF;
            IF st_type[sp] = 'QUERY' THEN qdepth := qdepth - 1; END IF;
            sp := sp - 1;
            expect := '';
          ELSIF left(tok, 1) = ':' THEN
            field := substr(tok, 2);
            expect := 'value';
          ELSIF tok IN ('(', ')') THEN
            expect := '';
          ELSIF expect = 'value' THEN
            IF field = 'funcid' AND st_type[sp] = 'FUNCEXPR' THEN st_func[sp] := tok::oid;
            ELSIF field = 'opfuncid' THEN st_func[sp] := tok::oid;
            ELSIF field = 'opno' THEN st_opno[sp] := tok::oid;
            ELSIF field = 'varattno' THEN st_attno[sp] := tok::int;
            ELSIF field = 'varlevelsup' THEN st_lvl[sp] := tok::int;
            ELSIF field = 'boolop' THEN st_boolop[sp] := tok;
            END IF;
            expect := '';
          END IF;
        END LOOP;
        -- the gate must compare with the transaction's verified org, not with anything else
        IF gate IS NOT NULL AND position('app_ctx_org()' IN v_expr.sql) = 0 THEN gate := NULL; END IF;
        IF gate IS NULL THEN
          n_findings := n_findings + 1;
          RAISE WARNING '%: policy % (FOR %, %) does not restrict rows to the current org: % -- fix: make org_id = (select app_ctx_org()) its first condition (see policiesSql in src/migrations/1796205600000-VerifiedTenantContext.ts), or list it in shared_policies in scripts/audit/verify-rls.sql with a reason',
            v_tbl.name, v_pol.polname, v_pol.cmd, v_expr.clause, regexp_replace(v_expr.sql, '\s+', ' ', 'g');
        END IF;
        FOREACH leak IN ARRAY leaks LOOP
          IF gate IS NULL OR split_part(leak, ':', 1)::int < gate THEN
            n_findings := n_findings + 1;
            RAISE WARNING '%: policy % (FOR %, %) applies % (not leakproof) to a row column before the org_id comparison: % -- fix: put the org_id comparison first and the row functions after it (or use leakproof functions only)',
              v_tbl.name, v_pol.polname, v_pol.cmd, v_expr.clause, substr(leak, position(':' IN leak) + 1), regexp_replace(v_expr.sql, '\s+', ' ', 'g');
          END IF;
        END LOOP;
      END LOOP;
    END LOOP;
  END LOOP;

  ---------------------------------------------------------------- 2b: no policy trusts a raw setting
  FOR v_rec IN
    SELECT format('%I.%I', p.schemaname, p.tablename) AS tbl, p.policyname, p.cmd,
           concat_ws(' / ', p.qual, p.with_check) AS sql
      FROM pg_policies p
     WHERE p.schemaname NOT IN ('pg_catalog', 'information_schema')
       AND (p.qual ~* 'current_setting\(\s*''app\.' OR p.with_check ~* 'current_setting\(\s*''app\.')
     ORDER BY 1, 2
  LOOP
    n_findings := n_findings + 1;
    RAISE WARNING '%: policy % (FOR %) reads an app.* setting directly, which set_config alone can forge: % -- fix: read the verified context instead: (select app_ctx_org()), (select app_ctx_actor_role()), app_ctx_user() (VerifiedTenantContext migration)',
      v_rec.tbl, v_rec.policyname, v_rec.cmd, regexp_replace(v_rec.sql, '\s+', ' ', 'g');
  END LOOP;

  ---------------------------------------------------------------- 3: the app role (and the worker role)
  FOREACH v_role IN ARRAY ARRAY[app_role, worker_role] LOOP
  CONTINUE WHEN v_role = worker_role AND NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = worker_role);
  SELECT rolsuper, rolbypassrls INTO v_rec FROM pg_roles WHERE rolname = v_role;
  IF NOT FOUND THEN
    n_findings := n_findings + 1;
    RAISE WARNING 'role %: does not exist -- fix: run scripts/setup.sh (or set audit.app_role / audit.worker_role to the roles the service connects as)', v_role;
  ELSE
    IF v_rec.rolsuper THEN
      n_findings := n_findings + 1;
      RAISE WARNING 'role %: is a superuser (superusers bypass RLS) -- fix: ALTER ROLE % NOSUPERUSER', v_role, v_role;
    END IF;
    IF v_rec.rolbypassrls THEN
      n_findings := n_findings + 1;
      RAISE WARNING 'role %: has BYPASSRLS -- fix: ALTER ROLE % NOBYPASSRLS', v_role, v_role;
    END IF;
  END IF;
  v_kind := CASE WHEN v_role = app_role THEN 'the app role ' ELSE 'the worker role ' END;
  -- Roles the role is a member of (directly or not) can be assumed with SET ROLE.
  FOR v_rec IN
    WITH RECURSIVE up(oid) AS (
      SELECT oid FROM pg_roles WHERE rolname = v_role
      UNION SELECT am.roleid FROM pg_auth_members am JOIN up ON am.member = up.oid)
    SELECT ro.rolname, ro.rolsuper, ro.rolbypassrls FROM up JOIN pg_roles ro ON ro.oid = up.oid
     WHERE ro.rolname <> v_role AND (ro.rolsuper OR ro.rolbypassrls) ORDER BY 1
  LOOP
    n_findings := n_findings + 1;
    RAISE WARNING 'role %: is a member of %, which is % (SET ROLE escapes RLS) -- fix: REVOKE % FROM %',
      v_role, v_rec.rolname, CASE WHEN v_rec.rolsuper THEN 'a superuser' ELSE 'BYPASSRLS' END, v_rec.rolname, v_role;
  END LOOP;
  FOR v_rec IN
    WITH RECURSIVE up(oid) AS (
      SELECT oid FROM pg_roles WHERE rolname = v_role
      UNION SELECT am.roleid FROM pg_auth_members am JOIN up ON am.member = up.oid),
    owned AS (
      SELECT 'table' AS kind, format('%I.%I', n.nspname, c.relname) AS obj, c.relowner AS owner
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
         AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      UNION ALL
      SELECT 'schema', quote_ident(nspname), nspowner FROM pg_namespace
       WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp%'
      UNION ALL
      SELECT 'function', format('%I.%I(%s)', n.nspname, p.proname, oidvectortypes(p.proargtypes)), p.proowner
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))
    SELECT o.kind, o.obj, pg_get_userbyid(o.owner) AS owner FROM owned o WHERE o.owner IN (SELECT oid FROM up) ORDER BY 1, 2
  LOOP
    n_findings := n_findings + 1;
    RAISE WARNING '%: owned by % (an owner can disable RLS and rewrite policies) -- fix: ALTER % % OWNER TO rocker_owner',
      v_rec.obj, CASE WHEN v_rec.owner = v_role THEN v_kind || v_role ELSE v_rec.owner || ', which ' || v_kind || v_role || ' can SET ROLE to' END,
      upper(v_rec.kind), v_rec.obj;
  END LOOP;
  END LOOP;

  ---------------------------------------------------------------- 4: SECURITY DEFINER functions
  FOR v_rec IN
    SELECT format('%I.%I(%s)', n.nspname, p.proname, oidvectortypes(p.proargtypes)) AS sig,
           pg_get_userbyid(p.proowner) AS owner, o.rolsuper AS owner_super, coalesce(p.proconfig, '{}') AS config,
           EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = app_role) AND has_function_privilege(app_role, p.oid, 'EXECUTE') AS app_exec
      FROM pg_proc p
      JOIN pg_namespace n ON n.oid = p.pronamespace
      JOIN pg_roles o ON o.oid = p.proowner
     WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
     ORDER BY 1
  LOOP
    n_definers := n_definers + 1;
    RAISE NOTICE 'SECURITY DEFINER %: owner %, config %', v_rec.sig, v_rec.owner, v_rec.config;
    IF NOT EXISTS (SELECT 1 FROM unnest(v_rec.config) c WHERE c LIKE 'search\_path=%') THEN
      n_findings := n_findings + 1;
      RAISE WARNING '%: SECURITY DEFINER without a fixed search_path (a caller''s objects can shadow what it calls) -- fix: ALTER FUNCTION % SET search_path = pg_catalog, pg_temp (and schema-qualify the tables it uses)',
        v_rec.sig, v_rec.sig;
    END IF;
    IF NOT v_rec.sig = ANY (reviewed_definers) THEN
      n_findings := n_findings + 1;
      RAISE WARNING '%: SECURITY DEFINER function not on the reviewed list -- fix: make it SECURITY INVOKER, or after a security review add it to reviewed_definers in scripts/audit/verify-rls.sql with its reason',
        v_rec.sig;
    END IF;
    IF v_rec.app_exec AND NOT v_rec.sig = ANY (reviewed_app_definers) THEN
      n_findings := n_findings + 1;
      RAISE WARNING '%: SECURITY DEFINER function the API role % may execute, not on the list reviewed for the API -- fix: REVOKE EXECUTE ON FUNCTION % FROM %, PUBLIC (and GRANT it to the role that needs it, e.g. rocker_worker), or after a security review add it to reviewed_app_definers in scripts/audit/verify-rls.sql with its reason',
        v_rec.sig, app_role, v_rec.sig, app_role;
    END IF;
    IF v_rec.owner_super THEN
      n_findings := n_findings + 1;
      RAISE WARNING '%: SECURITY DEFINER owned by superuser % (it runs with every right) -- fix: ALTER FUNCTION % OWNER TO a role with only the grants it needs',
        v_rec.sig, v_rec.owner, v_rec.sig;
    END IF;
  END LOOP;

  RAISE NOTICE 'RLS audit: % table(s) with org_id, % SECURITY DEFINER function(s), app role %, % finding(s)',
    n_tables, n_definers, app_role, n_findings;
  IF n_findings > 0 THEN
    RAISE EXCEPTION 'RLS audit failed: % finding(s)', n_findings USING HINT = 'each WARNING above names the table or function and the fix';
  END IF;
END
$audit$;
ROLLBACK;
