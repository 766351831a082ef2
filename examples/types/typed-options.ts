// Type tests, never run: compiled by `tsc -p examples/tsconfig.json` (examples/typecheck.test.ts). Each
// `@ts-expect-error` must meet an error, so a misspelt option that compiles again fails the build.
import { criteria, defaultProbes, measureEfficiency } from '@eff/core';
import { estimateProbe, inWorkerThread } from '@eff/probes';

export async function typedOptions(): Promise<void> {
  // The estimate's parameters are closed option types: a typo is a compile error, not a silently ignored key.
  // @ts-expect-error: tdpw is not an option (tdpW is)
  estimateProbe({ tdpw: 35 });
  // @ts-expect-error: the same through the worker-thread factory, typed by the probe's name
  inWorkerThread('estimate', { tdpw: 35 });
  // @ts-expect-error: loadScope is 'machine' or 'process'
  inWorkerThread('estimate', { loadScope: 'all' });
  // @ts-expect-error: rapl's options are its own
  inWorkerThread('rapl', { tdpW: 35 });
  // @ts-expect-error: the SDK's estimate option is closed too
  await defaultProbes({ estimate: { tdpw: 35 } });

  // What is right compiles: each probe's own options, and any options for a probe registered at run time.
  estimateProbe({ tdpW: 35, ramWPerGB: 0.3, loadScope: 'process' });
  inWorkerThread('estimate', { tdpW: 35 });
  inWorkerThread('rapl', { root: '/sys/class/powercap' });
  inWorkerThread('my-wattmeter' as string, { port: 4000 });

  // `await using` ends the session when the scope ends (abort() unless finish() or fail() ran).
  await using session = measureEfficiency({
    config: { architecture: 'mine', size: 1, dataset: 'mine' },
    criterion: criteria.fixedEpochs(1),
    maxEpochs: 1,
    probes: ['estimate'],
    resultsDir: 'results',
  });
  await session.start();
  measureEfficiency({
    config: { architecture: 'mine', size: 1, dataset: 'mine' },
    criterion: criteria.fixedEpochs(1),
    maxEpochs: 1,
    // @ts-expect-error: tdpw again, in measureEfficiency's estimate option
    estimate: { tdpw: 35 },
  });
}
