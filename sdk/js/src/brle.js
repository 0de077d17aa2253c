// BRLE logit masks (docs/programs.md, "Binary fields"): run lengths over the vocabulary ids in
// order, alternating, the first run counting disallowed ids; ids past the last run are
// disallowed.

function runsOf(mask) {
  if (mask instanceof Uint32Array) return mask;
  if (Array.isArray(mask)) {
    for (const run of mask) {
      if (!Number.isInteger(run) || run < 0)
        throw new TypeError('inferlet: a BRLE run is an integer >= 0');
    }
    return Uint32Array.from(mask);
  }
  throw new TypeError('inferlet: a BRLE mask is a Uint32Array or an array of run lengths');
}

// The allowed id ranges [start, end) of a mask.
export function allowedRanges(mask) {
  const runs = runsOf(mask);
  const ranges = [];
  let id = 0;
  for (let i = 0; i < runs.length; i++) {
    if (i % 2 === 1 && runs[i] > 0) ranges.push([id, id + runs[i]]);
    id += runs[i];
  }
  return ranges;
}

function fromRanges(ranges) {
  const runs = [];
  let id = 0;
  for (const [start, end] of ranges) {
    if (end <= start) continue;
    if (runs.length > 0 && start === id) {
      runs[runs.length - 1] += end - start;  // adjacent to the previous allowed range
    } else {
      runs.push(start - id, end - start);
    }
    id = end;
  }
  return Uint32Array.from(runs);
}

export const brle = Object.freeze({
  // A mask allowing exactly `ids`.
  fromAllowed(ids) {
    const sorted = [...new Set(Array.from(ids))].sort((a, b) => a - b);
    return fromRanges(sorted.map((id) => [id, id + 1]));
  },
  // A mask allowing every id of a `vocabSize` vocabulary.
  all(vocabSize) {
    return Uint32Array.from([0, vocabSize]);
  },
  // Whether `mask` allows `id`.
  allows(mask, id) {
    return allowedRanges(mask).some(([start, end]) => id >= start && id < end);
  },
  // The ids a mask allows, in order.
  allowed(mask) {
    const ids = [];
    for (const [start, end] of allowedRanges(mask)) {
      for (let id = start; id < end; id++) ids.push(id);
    }
    return Uint32Array.from(ids);
  },
  // The intersection of masks (an id is allowed when every mask allows it).
  and(...masks) {
    if (masks.length === 0) throw new TypeError('inferlet: brle.and needs at least one mask');
    let ranges = allowedRanges(masks[0]);
    for (const mask of masks.slice(1)) {
      const other = allowedRanges(mask);
      const both = [];
      let i = 0;
      let j = 0;
      while (i < ranges.length && j < other.length) {
        const start = Math.max(ranges[i][0], other[j][0]);
        const end = Math.min(ranges[i][1], other[j][1]);
        if (start < end) both.push([start, end]);
        if (ranges[i][1] < other[j][1])
          i++;
        else
          j++;
      }
      ranges = both;
    }
    return fromRanges(ranges);
  },
});

export function maskRuns(mask) { return Array.from(runsOf(mask)); }
