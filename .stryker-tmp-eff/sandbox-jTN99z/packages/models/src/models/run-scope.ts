// @ts-nocheck
// What one training run owns on the tfjs engine, freed when it ends however it ends; fit that cannot skip tfjs's clean-up.
import * as tf from '@tensorflow/tfjs';

/** The part of tfjs's engine state `withTensorScope` checks (public fields of tfjs-core's EngineState). */
interface ScopeState {
  state: { scopeStack: unknown[]; activeScope: unknown };
}

/**
 * Runs `body` inside a tfjs engine scope and returns its result: every tensor created while it runs, and not
 * kept (`tf.keep`) nor a variable, is disposed once it settles, resolved or rejected. This is what frees the
 * tensors tfjs's `fit` makes per epoch when a kernel throws in the middle of it.
 *
 * - `body` must return plain data: a tensor in its result is disposed too.
 * - Variables (model weights, optimizer state) are never in a scope: dispose the model (after `compileModel` it
 *   owns its optimizer).
 * - The scope sees every tensor made in the process while `body` is pending, so run one body at a time and make
 *   the tensors that outlive it (datasets shared between runs) before it starts.
 */
export async function withTensorScope<T>(body: () => Promise<T>): Promise<T> {
  const engine = tf.engine();
  const state = (engine as unknown as ScopeState).state;
  engine.startScope('eff-run');
  const mine = state.activeScope;
  try {
    return await body();
  } finally {
    // tidy() closes its scopes even when it throws, so ours is on top again; if not, something left a scope open
    // and ending ours would free tensors that belong to someone else.
    if (state.activeScope === mine) engine.endScope();
  }
}

/** One callback object as `model.fit` accepts it (tfjs's CustomCallbackArgs). */
export type FitCallback = tf.CustomCallbackArgs;

const HOOKS = [
  'onTrainBegin',
  'onTrainEnd',
  'onEpochBegin',
  'onEpochEnd',
  'onBatchBegin',
  'onBatchEnd',
  'onYield',
] as const;

/**
 * `model.fit(x, y, args)`, except that an error thrown by one of `args.callbacks` does not escape from inside
 * tfjs's training loop: it sets `model.stopTraining`, the remaining callbacks are skipped, fit ends at the end of
 * the current batch through its own clean-up, and the error is rethrown then. Escaping from inside the loop skips
 * that clean-up: the epoch's shuffled index tensor, the batch's kept loss and metric scalars and tfjs's running
 * epoch totals stay alive for good. Errors thrown by tfjs itself (a kernel) still reject at once.
 * Resolves to fit's `History`; rejects with the first callback error, or with what fit threw.
 */
export async function fitStoppingOnError(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor | tf.Tensor[],
  args: Omit<tf.ModelFitArgs, 'callbacks'> & { callbacks?: FitCallback[] },
): Promise<tf.History> {
  const callbacks = args.callbacks ?? [];
  let failure: { error: unknown } | null = null;
  const guarded: FitCallback = {};
  for (const hook of HOOKS) {
    if (!callbacks.some((c) => c[hook] !== undefined)) continue;
    guarded[hook] = async (...hookArgs: unknown[]) => {
      for (const callback of callbacks) {
        // tfjs resets stopTraining after onTrainBegin, so a failure there is re-asserted at every later hook.
        if (failure !== null) {
          model.stopTraining = true;
          return;
        }
        try {
          await (callback[hook] as ((...a: unknown[]) => unknown) | undefined)?.(...hookArgs);
        } catch (error) {
          failure = { error };
          model.stopTraining = true;
        }
      }
    };
  }
  // Without a batch hook a failure in onTrainBegin would only stop training after a whole epoch.
  guarded.onBatchEnd ??= async () => {
    if (failure !== null) model.stopTraining = true;
  };
  const history = await model.fit(x, y, { ...args, callbacks: [guarded] });
  if (failure !== null) throw (failure as { error: unknown }).error;
  return history;
}
