/*
 * The options page: the checking service's address and pairing token, the sites Postguard
 * helps on, and the language of its notes. Settings IT locked by policy are shown greyed.
 */
(async function () {
  "use strict";

  const api = globalThis.browser ?? globalThis.chrome;
  const Settings = globalThis.PostguardSettings;
  const I18n = globalThis.PostguardI18n;

  const form = document.getElementById("options");
  const status = document.getElementById("status");
  // The form elements of each setting IT can lock.
  const FIELDS = { serverUrl: "server-url", token: "token", sites: "sites", language: "language" };

  let shown; // the settings as last shown: only what the person changes is saved

  async function show() {
    const settings = await Settings.load();
    const t = await I18n.translator(settings.language);
    document.documentElement.lang = Settings.resolveLanguage(settings);
    I18n.localise(document, t);
    form.serverUrl.value = settings.serverUrl;
    form.token.value = settings.token;
    form.linkedin.checked = settings.sites.linkedin;
    form.facebook.checked = settings.sites.facebook;
    form.language.value = settings.language;
    for (const [key, id] of Object.entries(FIELDS)) {
      const element = document.getElementById(id);
      const locked = settings.locked.includes(key);
      element.disabled = locked;
      element.toggleAttribute("data-postguard-locked", locked);
    }
    document.getElementById("managed-note").hidden = settings.locked.length === 0;
    shown = settings;
    return t;
  }

  /** Ask for access to a server origin the manifest does not already grant. */
  async function allowOrigin(origin) {
    const origins = [`${origin}/*`];
    if (await api.permissions.contains({ origins })) return true;
    try {
      return await api.permissions.request({ origins });
    } catch {
      return false; // not among optional_host_permissions
    }
  }

  /** The settings the person changed in the form, leaving IT's presets alone otherwise. */
  function changes() {
    const changed = {};
    const editable = (key) => !shown.locked.includes(key);
    if (editable("serverUrl")) {
      const serverUrl = Settings.normaliseServerUrl(form.serverUrl.value); // throws on a bad URL
      if (serverUrl !== shown.serverUrl) changed.serverUrl = serverUrl;
    }
    if (editable("token") && form.token.value.trim() !== shown.token) changed.token = form.token.value.trim();
    const sites = { linkedin: form.linkedin.checked, facebook: form.facebook.checked };
    if (editable("sites") && (sites.linkedin !== shown.sites.linkedin || sites.facebook !== shown.sites.facebook)) {
      changed.sites = sites;
    }
    if (editable("language") && form.language.value !== shown.language) changed.language = form.language.value;
    return changed;
  }

  let t = await show();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "";
    let changed;
    try {
      changed = changes();
    } catch {
      status.textContent = t("optionsInvalidUrl");
      return;
    }
    // also for an address IT set: the person grants access to a port the manifest does not name
    if (!(await allowOrigin(changed.serverUrl ?? shown.serverUrl))) {
      status.textContent = t("optionsPermissionDenied");
      return;
    }
    await Settings.save(changed);
    t = await show();
    status.textContent = t("optionsSaved");
  });
})();
