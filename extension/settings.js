/*
 * Postguard settings: the defaults and their storage, in one object.
 * Loaded by the service worker, the content scripts, the popup and the options page.
 *
 * Three layers: the defaults below, then what IT set by enterprise policy (storage.managed,
 * see managed_schema.json), then what the person chose in the options page (storage.local).
 * IT's values are presets the person may change, except the settings IT lists in
 * `lockedSettings`, and a token IT set: those always come from the policy.
 */
(function (root) {
  "use strict";

  const api = root.browser ?? root.chrome;

  const DEFAULTS = Object.freeze({
    serverUrl: "http://127.0.0.1:7678",
    sites: Object.freeze({ linkedin: true, facebook: true }),
    language: "auto", // "auto" follows the browser; otherwise "de" or "en"
    pausedUntil: 0, // epoch milliseconds; 0 when not paused
    token: "", // pairing token the server may require (X-Postguard-Token); "" for none
  });

  const PAUSE_MS = 60 * 60 * 1000;
  const LANGUAGES = ["auto", "de", "en"];
  // What IT may set and lock by policy. Pausing is not among them: the author decides.
  const MANAGEABLE = ["serverUrl", "token", "sites", "language"];

  /** Turn what a person typed into a server origin like "http://127.0.0.1:7678", or throw. */
  function normaliseServerUrl(text) {
    const url = new URL(String(text).trim());
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error("The server URL must start with http:// or https://");
    }
    return url.origin;
  }

  /** Merge stored values over the base (the defaults); unknown or malformed values fall back. */
  function withDefaults(stored, base = DEFAULTS) {
    const settings = {
      serverUrl: base.serverUrl,
      sites: { ...base.sites },
      language: base.language,
      pausedUntil: base.pausedUntil,
      token: base.token,
    };
    if (typeof stored.serverUrl === "string") {
      try {
        settings.serverUrl = normaliseServerUrl(stored.serverUrl);
      } catch {
        // keep the default: a broken URL must not switch the extension off silently
      }
    }
    if (stored.sites && typeof stored.sites === "object") {
      for (const site of Object.keys(settings.sites)) {
        if (typeof stored.sites[site] === "boolean") settings.sites[site] = stored.sites[site];
      }
    }
    if (LANGUAGES.includes(stored.language)) settings.language = stored.language;
    if (Number.isFinite(stored.pausedUntil)) settings.pausedUntil = stored.pausedUntil;
    if (typeof stored.token === "string") settings.token = stored.token.trim();
    return settings;
  }

  /** The settings IT locked: those in `lockedSettings`, and the token whenever IT set one. */
  function lockedBy(managed) {
    const listed = Array.isArray(managed.lockedSettings) ? managed.lockedSettings : [];
    const locked = MANAGEABLE.filter((key) => listed.includes(key));
    if (typeof managed.token === "string" && managed.token.trim() && !locked.includes("token")) {
      locked.push("token");
    }
    return locked;
  }

  /**
   * The effective settings from IT's managed values and the person's own, plus `locked`:
   * the names of the settings the person cannot change.
   */
  function merge(managed, local) {
    managed = managed && typeof managed === "object" ? managed : {};
    const fromPolicy = Object.fromEntries(MANAGEABLE.filter((key) => key in managed).map((key) => [key, managed[key]]));
    const preset = withDefaults(fromPolicy);
    const locked = lockedBy(managed);
    const settings = withDefaults(local && typeof local === "object" ? local : {}, preset);
    for (const key of locked) {
      settings[key] = key === "sites" ? { ...preset.sites } : preset[key];
    }
    settings.locked = locked;
    Object.assign(settings, feedbackTarget(managed, settings));
    return settings;
  }

  /**
   * Where anonymous feedback goes: the comms team's server when IT names one (`feedbackUrl`,
   * with its own `feedbackToken`), else the checking server. Only IT can set these, because
   * they send something off this computer; the person still decides what is sent.
   */
  function feedbackTarget(managed, settings) {
    if (typeof managed.feedbackUrl === "string") {
      try {
        const token = typeof managed.feedbackToken === "string" ? managed.feedbackToken.trim() : "";
        const url = new URL(normaliseServerUrl(managed.feedbackUrl));
        // A shared text may travel: only encrypted, unless it stays on this computer.
        if (url.protocol === "https:" || ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) {
          return { feedbackUrl: url.origin, feedbackToken: token };
        }
      } catch {
        // a broken address: fall back to the checking server rather than lose the report
      }
    }
    return { feedbackUrl: settings.serverUrl, feedbackToken: settings.token };
  }

  /** IT's settings, or {} when there is no policy (Firefox then rejects instead of answering {}). */
  async function readManaged() {
    try {
      return (await api.storage.managed?.get(null)) ?? {};
    } catch {
      return {};
    }
  }

  const Settings = {
    defaults: DEFAULTS,
    languages: LANGUAGES,
    pauseMs: PAUSE_MS,
    manageable: MANAGEABLE,
    normaliseServerUrl,
    merge,

    /** Read all settings: defaults, then IT's policy, then the person's own (see merge). */
    async load() {
      const [managed, local] = await Promise.all([readManaged(), api.storage.local.get(Object.keys(DEFAULTS))]);
      return merge(managed, local);
    },

    /** Store some of the person's settings; the rest stay as they are, locked ones are skipped. */
    async save(patch) {
      const locked = lockedBy(await readManaged());
      const known = {};
      for (const key of Object.keys(patch)) {
        if (Object.hasOwn(DEFAULTS, key) && !locked.includes(key)) known[key] = patch[key];
      }
      if ("serverUrl" in known) known.serverUrl = normaliseServerUrl(known.serverUrl);
      await api.storage.local.set(known);
    },

    /** Call back with fresh settings whenever any of them, or IT's policy, changes. */
    onChange(callback) {
      api.storage.onChanged.addListener((changes, areaName) => {
        if (areaName !== "local" && areaName !== "managed") return;
        if (areaName === "local" && !Object.keys(changes).some((key) => Object.hasOwn(DEFAULTS, key))) return;
        Settings.load().then(callback);
      });
    },

    /** True while the person has paused Postguard. */
    isPaused(settings, now = Date.now()) {
      return settings.pausedUntil > now;
    },

    /** True when Postguard should watch editors on this site id. */
    isSiteEnabled(settings, site) {
      return settings.sites[site] !== false;
    },

    /** "de" or "en": the chosen language, or the browser's when set to follow it. */
    resolveLanguage(settings) {
      if (settings.language === "de" || settings.language === "en") return settings.language;
      const ui = api.i18n?.getUILanguage?.() ?? root.navigator?.language ?? "en";
      return ui.toLowerCase().startsWith("de") ? "de" : "en";
    },
  };

  root.PostguardSettings = Settings;
})(globalThis);
