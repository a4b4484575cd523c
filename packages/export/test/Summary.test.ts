import { describe, expect, it } from "@effect/vitest"
import { Follow, Summary } from "@steptrail/export"

describe("Summary", () => {
  it("add counts into a new value and leaves the one it was given as it was", () => {
    const before = Summary.add(Summary.empty("out.ndjson"), "cloudflare", { steps: 2, byStatus: { complete: 2 } }, true)
    const copy = structuredClone(before)
    const after = Summary.add(before, "cloudflare", { steps: 3, byStatus: { complete: 1, errored: 2 } }, true)
    expect(before).toEqual(copy)
    expect(after).toEqual({
      runs: 2,
      steps: 5,
      bytes: 0,
      byStatus: { complete: 3, errored: 2 },
      byProvider: { cloudflare: { runs: 2, steps: 5, byStatus: { complete: 3, errored: 2 } } },
      output: "out.ndjson"
    })
    // a later batch of a run already counted adds its steps, not the run
    expect(Summary.add(after, "orchestra", { steps: 1, byStatus: { running: 1 } }, false)).toMatchObject({
      runs: 2,
      steps: 6,
      byProvider: { orchestra: { runs: 0, steps: 1 } }
    })
  })

  it("add keeps the fields of a summary that says more (a follow's polls)", () => {
    const followed = { ...Follow.empty("stdout"), polls: 3, newRuns: 1 }
    const counted = Summary.add(followed, "onepin", { steps: 1, byStatus: { complete: 1 } }, true)
    expect(counted).toMatchObject({ polls: 3, newRuns: 1, unfinished: 0, runs: 1, steps: 1 })
  })
})
