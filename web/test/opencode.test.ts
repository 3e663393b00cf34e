import { describe, expect, it } from "vitest";
import { reduce, type SessionEvent } from "../src/reduce";
// A transcript recorded by WebUiBrowserTest: the real opencode, a fake model, one file write approved by the user.
import recorded from "./fixtures/opencode-write-turn.json";

const events = recorded as SessionEvent[];

describe("an opencode transcript", () => {
  it("becomes prompt, streamed text, an edit card with its diff, the answered permission and the answer", () => {
    const v = reduce(events);
    expect(v.items.map(i => i.kind)).toEqual(["state", "state", "user", "agent", "tool", "permission", "agent", "turn_end"]);
    expect((v.items[3] as any).text).toBe("I will write the **notes** now.");
    const tool = v.items[4] as any;
    expect(tool.toolKind).toBe("edit");
    expect(tool.status).toBe("completed");
    expect(tool.rawInput).toEqual({ filePath: "/workspace/notes.txt", content: "written from the UI\nsecond line\n" });
    expect(tool.content).toEqual([
      { type: "diff", path: "/workspace/notes.txt", oldText: "", newText: "written from the UI\nsecond line\n" },
      { type: "content", content: { type: "text", text: "Wrote file successfully." } }]);
    expect((v.items[5] as any).outcome).toMatchObject({ outcome: "selected", optionId: "once", by: "user" });
    expect((v.items[6] as any).text).toBe("All done: `notes.txt` has two lines.");
    expect(v.commands.length).toBeGreaterThan(0);
    expect(v.running).toBe(false);
    expect(v.pending).toEqual([]);
  });

  it("is the same when replayed from any point after a reconnect", () => {
    const whole = JSON.stringify(reduce(events));
    for (let cut = 0; cut <= events.length; cut++) {
      expect(JSON.stringify(reduce([...events.slice(0, cut), ...events.slice(Math.max(0, cut - 3))]))).toBe(whole);
    }
  });
});
