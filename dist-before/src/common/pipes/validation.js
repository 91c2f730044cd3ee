import { ProblemException } from '../filters/problem.js';
function collect(errors, prefix, out) {
    for (const e of errors) {
        const path = prefix ? `${prefix}.${e.property}` : e.property;
        if (e.constraints)
            out[path] = Object.values(e.constraints);
        if (e.children?.length)
            collect(e.children, path, out);
    }
}
/** class-validator errors → 400 problem+json with `errors` (field → messages). */
export function validationExceptionFactory(errors) {
    const out = {};
    collect(errors, '', out);
    return new ProblemException(400, 'validation', 'the request is invalid', { errors: out });
}
//# sourceMappingURL=validation.js.map