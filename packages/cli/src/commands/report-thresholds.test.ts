// eff report --thresholds: accuracies in (0, 1], deduplicated and ascending, so the to-accuracy table has one column each.
import { describe, expect, it } from 'vitest';
import { thresholdList } from './report.js';

describe('--thresholds', () => {
  it('drops repeats and sorts ascending; refuses values outside (0, 1]', () => {
    expect(thresholdList('0.9,0.9')).toEqual([0.9]);
    expect(thresholdList('0.99, 0.9,0.95,0.9')).toEqual([0.9, 0.95, 0.99]);
    for (const bad of ['', '0', '1.5', '95', 'abc', '0.9,', '-0.1']) {
      expect(() => thresholdList(bad)).toThrow(/expected comma-separated accuracies in \(0, 1\]/);
    }
  });
});
