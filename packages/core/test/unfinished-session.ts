// Child script for measure.lifecycle.test.ts: a session made and started, then the script returns without finish().
// argv[2] = 'forget' (never ended) or 'await-using' (declared with `await using`, the scope ends it).
import { criteria, measureEfficiency } from '../src/index.js';

const how = process.argv[2] ?? 'forget';
const options = {
  config: { architecture: 'child-net', size: 1, dataset: 'none' },
  criterion: criteria.fixedEpochs(1),
  maxEpochs: 1,
  // By name: sampled in a worker thread, the way the default probes run.
  probes: ['estimate'],
  log: false as const,
};

if (how === 'await-using') {
  {
    await using session = measureEfficiency(options);
    await session.start();
    process.stdout.write('started\n');
  }
  process.stdout.write('disposed\n');
} else {
  const session = measureEfficiency(options);
  await session.start();
  process.stdout.write('started\n');
}
