export function formatFinding(f) {
    return `${f.where}: [${f.audit}] ${f.problem}\n    fix: ${f.fix}`;
}
//# sourceMappingURL=findings.js.map