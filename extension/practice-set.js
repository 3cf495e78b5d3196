/*
 * Postguard practice: which five posts make this week's set. Pure functions, no storage.
 * The set is drawn from the company's shareable examples, seeded by the ISO week, so it is the
 * same all week on every computer and changes every Monday.
 */
(function (root) {
  "use strict";

  const SET_SIZE = 5;
  const BETTER_NOT_PER_SET = 3; // and two that are fine: practice is also about what may be said

  /** The ISO 8601 week of a date in local time, like "2026-W48". */
  function isoWeek(date = new Date()) {
    const day = new Date(Date.UTC(date.getFullYear(), date.getMonth(), date.getDate()));
    const weekday = day.getUTCDay() || 7;
    day.setUTCDate(day.getUTCDate() + 4 - weekday); // the Thursday of this week decides the year
    const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
    const week = Math.ceil(((day - yearStart) / 86400000 + 1) / 7);
    return `${day.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
  }

  /** FNV-1a: a small stable hash, so that every browser draws the same set. */
  function hash(text) {
    let value = 0x811c9dc5;
    for (let i = 0; i < text.length; i += 1) {
      value ^= text.charCodeAt(i);
      value = Math.imul(value, 0x01000193) >>> 0;
    }
    return value;
  }

  function ranked(items, seed) {
    return [...items].sort((a, b) => hash(`${seed}:${a.id}`) - hash(`${seed}:${b.id}`) || (a.id < b.id ? -1 : 1));
  }

  /** Items in seeded order, taking turns between topics so that one topic does not fill the set. */
  function spread(items, seed) {
    const byTopic = new Map();
    for (const item of ranked(items, seed)) {
      const key = item.topic ?? "";
      if (!byTopic.has(key)) byTopic.set(key, []);
      byTopic.get(key).push(item);
    }
    const queues = ranked([...byTopic.keys()].map((id) => ({ id })), `${seed}:topics`).map(({ id }) => byTopic.get(id));
    const order = [];
    while (queues.some((queue) => queue.length)) {
      for (const queue of queues) if (queue.length) order.push(queue.shift());
    }
    return order;
  }

  /**
   * This week's set: `size` examples, about three better kept internal and two fine, in the
   * person's language when there are enough. With a topic, that topic's examples come first.
   */
  function weeklySet(examples, { week, topic = "", language = "", size = SET_SIZE } = {}) {
    const all = (examples ?? []).filter((example) => example && typeof example.id === "string");
    const inLanguage = all.filter((example) => example.lang === language);
    const pool = inLanguage.length >= size ? inLanguage : all;
    const seed = `${week}:${topic}`;
    const picked = [];
    const take = (items, count) => {
      for (const item of items) {
        if (picked.length >= size || count <= 0) break;
        if (!picked.includes(item)) {
          picked.push(item);
          count -= 1;
        }
      }
    };
    const betterNot = pool.filter((example) => example.verdict === "better_not");
    const fine = pool.filter((example) => example.verdict === "fine");
    if (topic) {
      take(spread(betterNot.filter((example) => example.topic === topic), seed), BETTER_NOT_PER_SET);
      take(spread(fine.filter((example) => example.topic === topic), seed), size - picked.length);
    }
    take(spread(betterNot, seed), BETTER_NOT_PER_SET - picked.filter((e) => e.verdict === "better_not").length);
    take(spread(fine, seed), size - picked.length);
    take(spread(pool, seed), size - picked.length);
    return ranked(picked, `${seed}:order`);
  }

  root.PostguardPractice = { SET_SIZE, isoWeek, weeklySet };
})(globalThis);
