/** The component lifecycle table, one row per case: (life, event) → (life, actions). */
import { describe, expect, test } from "bun:test";
import { lifecycle, NEW_LIFE, type Life, type LifeEvent } from "../../src/engine/lifecycle.ts";

const NOW = 10_000;
const up: Life = { ...NEW_LIFE, state: "up" };
const starting: Life = { ...NEW_LIFE, state: "starting", reason: "spawned", readyByMs: NOW - 1, readyWaitMs: 3_000 };
const down: Life = { ...NEW_LIFE, state: "down", health: "failed", reason: "exited with status 1", refailAtMs: NOW - 1 };

describe("lifecycle", () => {
  test.each<[string, Life, LifeEvent, Partial<Life>, unknown[]]>([
    ["expect: starting with a deadline", up, { type: "expect", reason: "spawned", waitMs: 500 }, { state: "starting", health: "ok", reason: "spawned", readyByMs: NOW + 500, readyWaitMs: 500 }, []],
    ["registered: up, deadlines and the last report cleared", { ...down, reported: "degraded" }, { type: "registered" }, { state: "up", health: "ok", reason: "", refailAtMs: Infinity, reported: "ok" }, []],
    ["ready-due while starting: down, an uncertain failure", starting, { type: "ready-due" }, { state: "down", health: "failed", reason: "not registered within 3000 ms (spawned)", readyByMs: Infinity }, [{ type: "failure", certain: false }]],
    ["ready-due once up: the deadline is simply dropped", { ...up, readyByMs: NOW - 1 }, { type: "ready-due" }, { state: "up", readyByMs: Infinity }, []],
    ["ready-due while inactive: nothing", { ...starting, active: false }, { type: "ready-due" }, { state: "starting", readyByMs: Infinity }, []],
    ["refail-due while down: a certain failure", down, { type: "refail-due", quarantined: false }, { refailAtMs: Infinity }, [{ type: "failure", reason: "still down after the grace period: exited with status 1", certain: true }]],
    ["refail-due while up with a failed check: a certain failure (a hang during grace is cured after it)", { ...down, state: "up", reason: "check 'vty' failed" }, { type: "refail-due", quarantined: false }, { refailAtMs: Infinity }, [{ type: "failure", reason: "still failing after the grace period: check 'vty' failed", certain: true }]],
    ["refail-due while up and healthy again: nothing", { ...down, state: "up", health: "ok" }, { type: "refail-due", quarantined: false }, { refailAtMs: Infinity }, []],
    ["refail-due while quarantined: nothing", down, { type: "refail-due", quarantined: true }, { refailAtMs: Infinity }, []],
    ["grace: the earlier refail time wins", { ...down, refailAtMs: NOW + 50 }, { type: "grace", untilMs: NOW + 500 }, { refailAtMs: NOW + 50 }, []],
    ["lost after last words: both kept", { ...up, health: "failed", reason: "killed by SIGKILL" }, { type: "lost", reason: "connection lost: EOF" }, { state: "down", reason: "killed by SIGKILL; then connection lost: EOF" }, []],
    ["deregistered while active: stopped", up, { type: "deregistered", reason: "bye" }, { state: "stopped", reason: "deregistered: bye" }, []],
    ["deactivated: inactive, no deadline", starting, { type: "deactivated", reason: "deactivated" }, { state: "inactive", active: false, readyByMs: Infinity, refailAtMs: Infinity }, []],
    ["report degraded while a check fails: the failure still shows", { ...up, health: "failed", reason: "check" }, { type: "report", health: "degraded", reason: "flap", checksFailing: true }, { health: "failed", reason: "check", reported: "degraded" }, []],
    ["report failed: a certain failure", up, { type: "report", health: "failed", reason: "rib broken", checksFailing: false }, { health: "failed", reported: "failed" }, [{ type: "failure", reason: "reported failed: rib broken", certain: true }]],
    ["an ok answer does not erase a reported degraded", { ...up, health: "degraded", reason: "flap", reported: "degraded", reportedReason: "flap" }, { type: "answer", health: "ok", detail: "", checksFailing: false, known: true }, { health: "degraded", reason: "flap" }, [{ type: "healthy" }]],
    ["an ok answer clears a degraded answer", { ...up, health: "degraded", reason: "slow" }, { type: "answer", health: "ok", detail: "", checksFailing: false, known: true }, { health: "ok", reason: "" }, [{ type: "healthy" }]],
    ["a report of ok does not hide a degraded last reply: the worse of the two shows (protocol.md §5.1)", { ...up, health: "degraded", reason: "slow", answered: "degraded", answeredReason: "slow" }, { type: "report", health: "ok", reason: "fine", checksFailing: false }, { health: "degraded", reason: "slow", reported: "ok" }, [{ type: "healthy" }]],
    ["then an ok reply: ok", { ...up, health: "degraded", reason: "slow", answered: "degraded", answeredReason: "slow", reported: "ok", reportedReason: "fine" }, { type: "answer", health: "ok", detail: "", checksFailing: false, known: true }, { health: "ok", answered: "ok" }, [{ type: "healthy" }]],
    ["a degraded answer: degraded, said once", up, { type: "answer", health: "degraded", detail: "slow", checksFailing: false, known: true }, { health: "degraded", reason: "slow" }, [{ type: "degraded", reason: "slow" }]],
    ["checks ok again: the last report shows", { ...up, health: "failed", reported: "degraded", reportedReason: "flap" }, { type: "checks-ok" }, { health: "degraded", reason: "flap" }, [{ type: "healthy" }]],
    ["check failed: failed, and a failure of the check's certainty", up, { type: "check-failed", reason: "no reply within 200 ms", certain: false }, { health: "failed" }, [{ type: "failure", certain: false }]],
    ["waiting (held back by after): starting, no deadline runs", { ...down, readyByMs: NOW + 5 }, { type: "waiting", reason: "waiting for zebra" }, { state: "starting", health: "ok", reason: "waiting for zebra", readyByMs: Infinity }, []],
    // A daemon's life: its pid, counters, start time and expected exits change only here.
    ["resumed: the previous monitor's restart count carries over", starting, { type: "resumed", restarts: 7 }, { restarts: 7, state: "starting" }, []],
    ["spawned: its pid, and the start → ready latency runs from now", { ...down, expectGone: true }, { type: "spawned", pid: 4242 }, { pid: 4242, startedAtMs: NOW, expectGone: false, state: "down" }, []],
    ["adopted: a running process found for it", starting, { type: "adopted", pid: 77 }, { pid: 77, state: "starting" }, []],
    ["ready after a start by hamon: up, counted, the ready event with the latency", { ...starting, startedAtMs: NOW - 250, registrations: 2 }, { type: "ready", why: "its probe passed" }, { state: "up", health: "ok", reason: "", readyByMs: Infinity, registrations: 3, startedAtMs: -1 }, [{ type: "ready", reason: "its probe passed 250 ms after start" }]],
    ["ready with no start awaited (adopted): up, no ready event", starting, { type: "ready", why: "adopted pid 7:" }, { state: "up", registrations: 1 }, []],
    ["registered after a start by hamon: its pid, the ready event with the latency", { ...starting, startedAtMs: NOW - 100 }, { type: "registered", pid: 99 }, { state: "up", pid: 99, registrations: 1, startedAtMs: -1 }, [{ type: "ready", reason: "registered 100 ms after start" }]],
    ["restarting a live daemon: counted, its exit expected, starting", up, { type: "restarting", why: "check failed", counted: true, alive: true }, { restarts: 1, expectGone: true, state: "starting", reason: "restarting: check failed" }, []],
    ["restarting a dead daemon: counted only (the spawn follows)", down, { type: "restarting", why: "exited", counted: true, alive: false }, { restarts: 1, expectGone: false, state: "down" }, []],
    ["finishing the previous monitor's restart: not counted again", { ...up, restarts: 3 }, { type: "restarting", why: "finishing", counted: false, alive: true }, { restarts: 3, expectGone: true }, []],
    ["stopping: its exit is expected", up, { type: "stopping" }, { expectGone: true, state: "up" }, []],
    ["stopped: no longer expected to go", { ...up, expectGone: true }, { type: "stopped" }, { expectGone: false }, []],
    ["delegated: its re-registration will be the ready", up, { type: "delegated" }, { startedAtMs: NOW }, []],
    ["delegate-done ok: counted as a restart", { ...up, startedAtMs: NOW - 5 }, { type: "delegate-done", ok: true }, { restarts: 1, startedAtMs: NOW - 5 }, []],
    ["delegate-done refused: no start awaited", { ...up, startedAtMs: NOW - 5 }, { type: "delegate-done", ok: false }, { restarts: 0, startedAtMs: -1 }, []],
    ["busy: degraded, the episode begins now, said once", up, { type: "busy", reason: "busy: 98 % of a CPU" }, { health: "degraded", reason: "busy: 98 % of a CPU", busySinceMs: NOW }, [{ type: "busy", reason: "busy: 98 % of a CPU" }]],
    ["busy again: the episode keeps its start, not said again", { ...up, health: "degraded", busySinceMs: NOW - 4_000 }, { type: "busy", reason: "busy: still" }, { reason: "busy: still", busySinceMs: NOW - 4_000 }, []],
    ["checks ok after busy: the episode ends", { ...up, health: "degraded", busySinceMs: NOW - 4_000 }, { type: "checks-ok" }, { health: "ok", busySinceMs: Infinity }, [{ type: "healthy" }]],
    ["hung after busy: failed, the episode ends", { ...up, health: "degraded", busySinceMs: NOW - 4_000 }, { type: "check-failed", reason: "hung", certain: false }, { health: "failed", busySinceMs: Infinity }, [{ type: "failure", certain: false }]],
    ["degraded (a suspect core) only from ok", { ...up, health: "failed", reason: "dead" }, { type: "degraded", reason: "suspect" }, { health: "failed", reason: "dead" }, []],
  ])("%s", (_label, life, ev, want, actions) => {
    const r = lifecycle(life, ev, NOW);
    expect(r.life).toMatchObject(want);
    expect(r.actions).toMatchObject(actions);
    expect(r.actions.length).toBe(actions.length);
  });

  test("the input is never changed (a new life each time)", () => {
    const before = { ...up };
    lifecycle(up, { type: "failed", reason: "x" }, NOW);
    expect(up).toEqual(before);
  });
});
