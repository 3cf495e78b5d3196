/*
 * The options page: the checking service's address, the sites Postguard helps on, and
 * the language of its notes.
 */
(async function () {
  "use strict";

  const api = globalThis.browser ?? globalThis.chrome;
  const Settings = globalThis.PostguardSettings;
  const I18n = globalThis.PostguardI18n;

  const form = document.getElementById("options");
  const status = document.getElementById("status");

  async function show() {
    const settings = await Settings.load();
    const t = await I18n.translator(settings.language);
    document.documentElement.lang = Settings.resolveLanguage(settings);
    I18n.localise(document, t);
    form.serverUrl.value = settings.serverUrl;
    form.linkedin.checked = settings.sites.linkedin;
    form.facebook.checked = settings.sites.facebook;
    form.language.value = settings.language;
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

  let t = await show();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "";
    let serverUrl;
    try {
      serverUrl = Settings.normaliseServerUrl(form.serverUrl.value);
    } catch {
      status.textContent = t("optionsInvalidUrl");
      return;
    }
    if (!(await allowOrigin(serverUrl))) {
      status.textContent = t("optionsPermissionDenied");
      return;
    }
    await Settings.save({
      serverUrl,
      sites: { linkedin: form.linkedin.checked, facebook: form.facebook.checked },
      language: form.language.value,
    });
    t = await show();
    status.textContent = t("optionsSaved");
  });
})();
