import { SetMetadata } from '@nestjs/common';
/**
 * Rate-limit policies, one @nestjs/throttler throttler each. `api` is the general per-org limit of
 * every tenant route, `user` the general limit of a caller without any org (keyed by user id, not
 * billed); the others are opt-in per route with @RateLimit.
 */
export var RatePolicy;
(function (RatePolicy) {
    RatePolicy["Api"] = "api";
    RatePolicy["User"] = "user";
    RatePolicy["Search"] = "search";
    RatePolicy["Tts"] = "tts";
    RatePolicy["Embeddings"] = "embeddings";
    RatePolicy["Crawl"] = "crawl";
    RatePolicy["Ocr"] = "ocr";
})(RatePolicy || (RatePolicy = {}));
/** The policy every request counts against: `api` for an org, `user` for a caller without one. */
export const GENERAL_POLICIES = [RatePolicy.Api, RatePolicy.User];
export const RATE_LIMIT = 'rocker:rate-limit';
/**
 * Puts a route under a policy besides the general one (429 with RateLimit headers past it): the
 * policy's throttler skips every route that does not name it here.
 */
export const RateLimit = (policy, cost) => SetMetadata(RATE_LIMIT, { policy, cost });
//# sourceMappingURL=rate-limit.decorator.js.map