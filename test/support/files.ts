// The generators live beside the benchmarks (bench/fair-share.ts builds its abuse files with them).
export * from '../../bench/lib/files.js';
