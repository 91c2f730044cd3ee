import { createParamDecorator, SetMetadata } from '@nestjs/common';
export const IS_PUBLIC = 'rocker:public';
export const REQUIRED_ROLE = 'rocker:role';
export const SUPER_ADMIN = 'rocker:super-admin';
export const NO_ORG = 'rocker:no-org';
export const NO_TRANSACTION = 'rocker:no-transaction';
export const ALLOW_NEW_USER = 'rocker:allow-new-user';
/** No token needed. Only for the reviewed allowlist in scripts/audit (health, metrics, docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
/** Lowest org role allowed (owner > admin > member > viewer). */
export const Roles = (role) => SetMetadata(REQUIRED_ROLE, role);
/** Platform super_admin only (held in the database, never in a claim). */
export const SuperAdmin = () => SetMetadata(SUPER_ADMIN, true);
/** A valid token is needed but no active org (marketplace, platform admin). */
export const NoOrg = () => SetMetadata(NO_ORG, true);
/**
 * A verified token whose user the platform has not seen yet is let through (no org, no role): only
 * for accepting an invitation, which creates the user from the token's `sub` and `email`.
 */
export const AllowNewUser = () => SetMetadata(ALLOW_NEW_USER, true);
/** The handler manages its own short transactions (e.g. a long audio stream). */
export const NoTransaction = () => SetMetadata(NO_TRANSACTION, true);
/** The resolved tenant context of this request. */
export const CurrentTenant = createParamDecorator((_, ctx) => {
    return ctx.switchToHttp().getRequest().tenant;
});
/** The verified token's `email` claim (lowercased), if it has one. */
export const TokenEmail = createParamDecorator((_, ctx) => {
    return ctx.switchToHttp().getRequest().tokenEmail;
});
//# sourceMappingURL=auth.decorators.js.map