/*
 * Postguard's service worker: the only code that talks to the checking server.
 *
 * Content scripts cannot: their fetch runs with the page's origin, so CORS and Chrome's
 * Local Network Access block it. Nothing here lives in globals between messages (the
 * worker may be stopped whenever it is idle); settings are read from storage each time.
 * Nothing about the text is logged or kept.
 */
if (typeof importScripts === "function") {
  importScripts("settings.js"); // Chrome's service worker; Firefox lists it under background.scripts
}

const api = globalThis.browser ?? globalThis.chrome;
const Settings = globalThis.PostguardSettings;

const TIMEOUT_MS = { check: 3000, health: 2000, policy: 3000, guidelines: 3000, feed: 3000 };
const PAGES = { guidelines: "guidelines.html", practice: "practice.html" };
const TOPIC_ID = /^[a-z][a-z0-9_]{1,39}$/;
const BADGE_COLOUR = "#b45309";
const FEEDBACK_KINDS = ["false_alarm", "missed_risk"];
const FEEDBACK_TIMEOUT_MS = 3000;

/** Call the server; resolves to {ok:true, body} or {ok:false, error, offline}. */
async function callServer(path, { method = "GET", json, timeoutMs, feedback = false }) {
  const settings = await Settings.load();
  // Feedback may go to the comms team's server (managed `feedbackUrl`); everything else stays local.
  const [serverUrl, token] = feedback
    ? [settings.feedbackUrl, settings.feedbackToken]
    : [settings.serverUrl, settings.token];
  const headers = json === undefined ? {} : { "Content-Type": "application/json" };
  if (token) headers["X-Postguard-Token"] = token; // IT's from the policy first, else the person's own
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(new URL(path, serverUrl), {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
      signal: controller.signal,
      credentials: "omit",
      cache: "no-store",
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      // 503 means the server runs without a model: for the person that is "not available"
      // 401: the server wants the pairing token; checks cannot run until the options have it
      const unpaired = response.status === 401;
      return {
        ok: false,
        error: body?.message ?? `HTTP ${response.status}`,
        offline: response.status >= 500 || unpaired,
        unpaired,
      };
    }
    return { ok: true, body };
  } catch (error) {
    return { ok: false, error: error?.name === "AbortError" ? "timeout" : "unreachable", offline: true };
  } finally {
    clearTimeout(timer);
  }
}

/** Show the number of open findings on this tab's toolbar icon, summed over its frames. */
async function updateBadge(tabId, frameId, count) {
  const prefix = `badge:${tabId}:`;
  await api.storage.session.set({ [`${prefix}${frameId}`]: count });
  const counts = await api.storage.session.get(null);
  const total = Object.entries(counts)
    .filter(([key]) => key.startsWith(prefix))
    .reduce((sum, [, value]) => sum + (Number(value) || 0), 0);
  await api.action.setBadgeBackgroundColor({ tabId, color: BADGE_COLOUR });
  await api.action.setBadgeText({ tabId, text: total > 0 ? String(total) : "" });
}

const handlers = {
  /** {text, site} → {ok, result} with the server's verdict and findings. */
  async check(message) {
    if (typeof message.text !== "string") return { ok: false, error: "'text' must be a string" };
    const json = { text: message.text };
    if (typeof message.site === "string") json.site = message.site;
    const reply = await callServer("/v1/check", { method: "POST", json, timeoutMs: TIMEOUT_MS.check });
    return reply.ok ? { ok: true, result: reply.body } : reply;
  },

  /** → {ok, health} with the server's status and model. */
  async health() {
    const reply = await callServer("/v1/health", { timeoutMs: TIMEOUT_MS.health });
    return reply.ok ? { ok: true, health: reply.body } : reply;
  },

  /** → {ok, policy}: topics, do's and don'ts, the general contact. */
  async policy() {
    const reply = await callServer("/v1/policy", { timeoutMs: TIMEOUT_MS.policy });
    return reply.ok ? { ok: true, policy: reply.body } : reply;
  },

  /** → {ok, guidelines}: the policy with the examples comms marked as shareable. */
  async guidelines() {
    const reply = await callServer("/v1/guidelines", { timeoutMs: TIMEOUT_MS.guidelines });
    return reply.ok ? { ok: true, guidelines: reply.body } : reply;
  },

  /** → {ok, feed}: what is said about the company, from the server's feed cache. */
  async feed() {
    const reply = await callServer("/v1/feed", { timeoutMs: TIMEOUT_MS.feed });
    return reply.ok ? { ok: true, feed: reply.body } : reply;
  },

  /** {page, topic} → opens the guidelines or the practice in a tab (content scripts cannot). */
  async openPage(message) {
    const page = Object.hasOwn(PAGES, message.page) ? PAGES[message.page] : null;
    if (!page) return { ok: false, error: "unknown page" };
    const topic = typeof message.topic === "string" && TOPIC_ID.test(message.topic) ? message.topic : "";
    await api.tabs.create({ url: api.runtime.getURL(topic ? `${page}?topic=${topic}` : page) });
    return { ok: true };
  },

  /**
   * {kind, topic, text?} → {ok}: an employee's anonymous report ("This is fine" on a warning,
   * or a missed risk from the popup). The text goes only when the person ticked "share".
   */
  async feedback(message) {
    if (!FEEDBACK_KINDS.includes(message.kind)) return { ok: false, error: "unknown kind of feedback" };
    const json = { kind: message.kind, topic: typeof message.topic === "string" ? message.topic : null };
    if (typeof message.text === "string" && message.text.trim()) json.text = message.text;
    const reply = await callServer("/v1/feedback", { method: "POST", json, timeoutMs: FEEDBACK_TIMEOUT_MS, feedback: true });
    return reply.ok ? { ok: true } : reply;
  },

  /** {count} from a content script → the toolbar badge of its tab. */
  async badge(message, sender) {
    const tabId = sender.tab?.id;
    if (tabId === undefined || tabId < 0) return { ok: false, error: "badge needs a tab" };
    await updateBadge(tabId, sender.frameId ?? 0, Math.max(0, Number(message.count) || 0));
    return { ok: true };
  },

  /** {language} → {ok, messages}: one locale's UI strings, for a language other than the browser's. */
  async locale(message) {
    if (!["de", "en"].includes(message.language)) return { ok: false, error: "unknown language" };
    const response = await fetch(api.runtime.getURL(`_locales/${message.language}/messages.json`));
    return { ok: true, messages: await response.json() };
  },
};

api.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (sender.id !== api.runtime.id) return false;
  const type = message?.type;
  if (typeof type !== "string" || !Object.hasOwn(handlers, type)) {
    sendResponse({ ok: false, error: `unknown message type: ${String(type)}` });
    return false;
  }
  handlers[type](message, sender).then(sendResponse, (error) => {
    sendResponse({ ok: false, error: String(error?.message ?? error) });
  });
  return true; // the reply is sent asynchronously
});

api.tabs.onRemoved.addListener(async (tabId) => {
  const prefix = `badge:${tabId}:`;
  const keys = Object.keys(await api.storage.session.get(null)).filter((key) => key.startsWith(prefix));
  if (keys.length) await api.storage.session.remove(keys);
});
