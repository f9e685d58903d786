"""What the handover screen says, the same words on both faces: the outcome, its timers, the log, the keys."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from aesthetic_protocols.faces import elapsed, red_flags_line
from aesthetic_protocols.handover import Handover, TimerView, keys_line
from aesthetic_protocols.report.clock import clock_text
from aesthetic_protocols.screen import KeyHint, Option, Screen, Timer, build_screen


def timer_text(view: TimerView, now: datetime) -> str:
    """One timer: `Repeat adrenaline if no better: 4:12 left (due 14:05)`, or how long it is overdue."""
    at = view.due.astimezone(now.tzinfo).strftime("%H:%M")
    if view.left > 0:
        return f"{view.label}: {clock_text(view.left)} left (due {at}, every {view.every_minutes} min)"
    if view.left > -60:
        return f"{view.label}: DUE NOW (due {at})"
    return f"{view.label}: OVERDUE by {clock_text(-view.left)} (due {at})"


def timer_lines(state: Handover, now: datetime) -> list[str]:
    return [f"Timer: {timer_text(view, now)}" for view in state.timers(now)]


def log_lines(state: Handover, now: datetime) -> list[str]:
    """The entries at this outcome, oldest first; a withdrawn one says so, with both times."""
    lines = []
    for entry in state.entries:
        if entry.node != state.node:
            continue
        at = entry.at.astimezone(now.tzinfo).strftime("%H:%M")
        if entry.withdrawn_at is None:
            lines.append(f"  {at}  {entry.label}")
        else:
            gone = entry.withdrawn_at.astimezone(now.tzinfo).strftime("%H:%M")
            lines.append(f"  {at}  (withdrawn at {gone}) {entry.label}")
    return lines


def handover_lines(state: Handover, now: datetime, started: datetime | None) -> list[str]:
    """The whole handover screen as lines (plain mode prints it once per arrival)."""
    session = state.session
    node = session.node
    lines = [f"[{elapsed(started, now)}] {session.render(node.title)} (outcome, {getattr(node, 'severity', '')}): "
             "until handover"]
    if node.headline:
        lines.append(session.render(node.headline))
    if node.text:
        lines.append(session.render(node.text))
    lines += [f"  - {session.render(step)}" for step in getattr(node, "steps", [])]
    lines += timer_lines(state, now)
    logged = log_lines(state, now)
    if logged:
        lines += ["Logged:", *logged]
    if session.protocol.red_flags:
        lines.append(f"Red flags: {red_flags_line(session)}")
    lines.append(f"Log: {keys_line(state)}")
    return lines


def handover_prompt(state: Handover) -> str:
    """What the handover loop takes now, in one line."""
    if state.asking == "time":
        return "Handed over at: HH:MM (Enter = now; back = not yet)"
    if state.asking == "to":
        return "Handed over to: a role or team, never a name (Enter = not recorded; back = not yet)"
    keys = ", ".join(item.key for item in state.block.log)
    return f"log: {keys}; h = handed over; back = withdraw the last entry" if keys else "h = handed over"


def handover_screen(state: Handover, now: datetime, status: str = "") -> Screen:
    """The outcome's screen while care goes on until handover, in the one screen model: its timers under the
    headline (each `urgent` once run out), the log keys and `h` pinned with them, what was logged so far, and
    the key bar naming the log keys, `h` and Backspace (withdraw the last entry)."""
    screen = build_screen(state.session, now, status)
    timers = tuple(Timer(f"⏱ {timer_text(view, now)}", f"Timer: {timer_text(view, now)}", urgent=view.overdue)
                   for view in state.timers(now))
    log_keys = (*(Option(item.key, item.label) for item in state.block.log),
                Option("h", "handed over (the time, then to whom)"))
    bar = [KeyHint("/".join(item.key for item in state.block.log), "log")] if state.block.log else []
    bar += [KeyHint("h", "handed over"), *(hint for hint in screen.keys if hint.does == "red flag"),
            KeyHint("Backspace", "withdraw last"), *(hint for hint in screen.keys if hint.does == "sources")]
    return replace(screen, timers=timers, log_keys=log_keys, logged=tuple(log_lines(state, now)), keys=tuple(bar),
                   hint=handover_prompt(state))
