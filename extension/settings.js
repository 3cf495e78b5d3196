/*
 * Postguard settings: the defaults and their storage, in one object.
 * Loaded by the service worker, the content scripts, the popup and the options page.
 */
(function (root) {
  "use strict";

  const api = root.browser ?? root.chrome;

  const DEFAULTS = Object.freeze({
    serverUrl: "http://127.0.0.1:7678",
    sites: Object.freeze({ linkedin: true, facebook: true }),
    language: "auto", // "auto" follows the browser; otherwise "de" or "en"
    pausedUntil: 0, // epoch milliseconds; 0 when not paused
  });

  const PAUSE_MS = 60 * 60 * 1000;
  const LANGUAGES = ["auto", "de", "en"];

  /** Turn what a person typed into a server origin like "http://127.0.0.1:7678", or throw. */
  function normaliseServerUrl(text) {
    const url = new URL(String(text).trim());
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error("The server URL must start with http:// or https://");
    }
    return url.origin;
  }

  /** Merge stored values over the defaults; unknown or malformed values fall back. */
  function withDefaults(stored) {
    const settings = {
      serverUrl: DEFAULTS.serverUrl,
      sites: { ...DEFAULTS.sites },
      language: DEFAULTS.language,
      pausedUntil: DEFAULTS.pausedUntil,
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
    return settings;
  }

  const Settings = {
    defaults: DEFAULTS,
    languages: LANGUAGES,
    pauseMs: PAUSE_MS,
    normaliseServerUrl,

    /** Read all settings, defaults filled in. */
    async load() {
      const stored = await api.storage.local.get(Object.keys(DEFAULTS));
      return withDefaults(stored);
    },

    /** Store some settings; the rest stay as they are. */
    async save(patch) {
      const known = {};
      for (const key of Object.keys(patch)) {
        if (Object.hasOwn(DEFAULTS, key)) known[key] = patch[key];
      }
      if ("serverUrl" in known) known.serverUrl = normaliseServerUrl(known.serverUrl);
      await api.storage.local.set(known);
    },

    /** Call back with fresh settings whenever any of them changes. */
    onChange(callback) {
      api.storage.onChanged.addListener((changes, areaName) => {
        if (areaName !== "local") return;
        if (!Object.keys(changes).some((key) => Object.hasOwn(DEFAULTS, key))) return;
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
