// @ts-nocheck
// Manual run of the report generator: `npx tsx packages/cli/src/report/try.ts <results-dir>`.
import { generateReport } from './index.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: tsx packages/cli/src/report/try.ts <results-dir>');
console.log(await generateReport(dir));
