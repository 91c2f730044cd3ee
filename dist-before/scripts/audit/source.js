import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
/** Where the service's code lives, relative to the project root. test/ is not scanned. */
export const SOURCE_DIRS = ['src', 'scripts', 'bench'];
export const SOURCE_FILES = ['ormconfig.ts'];
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'coverage']);
/** Every TypeScript file of the service under root (no declarations, no unit specs). */
export function listSourceFiles(root) {
    const out = [];
    const walk = (dir) => {
        for (const name of readdirSync(dir).sort()) {
            const full = path.join(dir, name);
            const st = statSync(full);
            if (st.isDirectory()) {
                if (!SKIP_DIRS.has(name))
                    walk(full);
            }
            else if (/\.(ts|mts|cts)$/.test(name) &&
                !/\.d\.[mc]?ts$/.test(name) &&
                !/\.(spec|test)\.[mc]?ts$/.test(name)) {
                out.push(full);
            }
        }
    };
    for (const d of SOURCE_DIRS)
        if (existsSync(path.join(root, d)))
            walk(path.join(root, d));
    for (const f of SOURCE_FILES)
        if (existsSync(path.join(root, f)))
            out.push(path.join(root, f));
    return out;
}
/**
 * A TypeScript program over the service's files, with the compiler options of root/tsconfig.json,
 * so that the checker resolves imports (node_modules) exactly as the build does.
 */
export function createAuditProgram(root) {
    const abs = path.resolve(root);
    let options = {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        experimentalDecorators: true,
    };
    const configPath = path.join(abs, 'tsconfig.json');
    if (existsSync(configPath)) {
        const cfg = ts.readConfigFile(configPath, ts.sys.readFile);
        if (cfg.error)
            throw new Error(ts.flattenDiagnosticMessageText(cfg.error.messageText, '\n'));
        options = ts.parseJsonConfigFileContent(cfg.config, ts.sys, abs).options;
    }
    return ts.createProgram(listSourceFiles(abs), { ...options, noEmit: true });
}
/** The program's own files (not node_modules, not lib). */
export function projectFiles(program, root) {
    const abs = path.resolve(root) + path.sep;
    return program
        .getSourceFiles()
        .filter((sf) => path.resolve(sf.fileName).startsWith(abs) &&
        !sf.fileName.includes('/node_modules/') &&
        !sf.isDeclarationFile);
}
export function relPath(root, file) {
    return path.relative(path.resolve(root), path.resolve(file)).split(path.sep).join('/');
}
/** "path/to/file.ts:LINE" of a node, relative to root. */
export function locate(root, node) {
    const sf = node.getSourceFile();
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    return `${relPath(root, sf.fileName)}:${line + 1}`;
}
/** Where a symbol (through import aliases) is declared: its name, file and declaration. */
export function resolveSymbol(checker, node) {
    let sym = checker.getSymbolAtLocation(node);
    if (!sym)
        return undefined;
    if (sym.flags & ts.SymbolFlags.Alias)
        sym = checker.getAliasedSymbol(sym);
    const decl = sym.declarations?.[0];
    if (!decl)
        return undefined;
    return { name: sym.getName(), file: path.resolve(decl.getSourceFile().fileName), decl };
}
export const inPackage = (file, pkg) => file.includes(`/node_modules/${pkg}/`);
/** Is this file the project's own? (not node_modules) */
export function inProject(root, file) {
    return path.resolve(file).startsWith(path.resolve(root) + path.sep) && !file.includes('/node_modules/');
}
//# sourceMappingURL=source.js.map