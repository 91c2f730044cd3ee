const PROBLEM = 'application/problem+json';
const REF = { $ref: '#/components/schemas/Problem' };
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
/**
 * Every error answer in the OpenAPI document as what it is on the wire: RFC 9457 problem+json
 * (one shared `Problem` schema). Controllers document which 4xx an operation gives and why
 * (@ApiBadRequestResponse, ...); this adds the body, and the 401 that TenantGuard gives every
 * operation that needs a bearer token, so a generated client types every error it can get.
 */
export function documentProblemResponses(doc) {
    doc.components ??= {};
    doc.components.schemas ??= {};
    doc.components.schemas.Problem = {
        type: 'object',
        description: 'RFC 9457 problem details',
        required: ['type', 'title', 'status'],
        properties: {
            type: { type: 'string', description: 'a URI naming the problem, e.g. .../problems/rate-limited' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            request_id: { type: 'string', description: 'the X-Request-Id of the request' },
            errors: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } }, description: 'validation: field → messages' },
        },
    };
    for (const item of Object.values(doc.paths)) {
        for (const method of METHODS) {
            const op = item[method];
            if (!op)
                continue;
            const secured = (op.security ?? doc.security ?? []).some((s) => 'bearer' in s);
            if (secured && !op.responses['401'])
                op.responses['401'] = { description: 'no, a bad or an expired bearer token' };
            for (const [code, res] of Object.entries(op.responses)) {
                if (!res || !/^[45]/.test(code) || '$ref' in res)
                    continue;
                res.content = { [PROBLEM]: { schema: REF } };
            }
        }
    }
    return doc;
}
//# sourceMappingURL=problem-responses.js.map