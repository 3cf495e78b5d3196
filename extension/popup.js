/*
 * The toolbar popup: is the checking service there, which model does it use, the
 * company's do's and don'ts and its general contact, a one-hour pause, and an anonymous
 * "Report a missed risk".
 */
(async function () {
  "use strict";

  const api = globalThis.browser ?? globalThis.chrome;
  const Settings = globalThis.PostguardSettings;
  const I18n = globalThis.PostguardI18n;

  const settings = await Settings.load();
  const t = await I18n.translator(settings.language);
  const language = Settings.resolveLanguage(settings);
  document.documentElement.lang = language;
  I18n.localise(document, t);

  function showPause(current) {
    const paused = Settings.isPaused(current);
    const until = new Date(current.pausedUntil).toLocaleTimeString(language, { hour: "2-digit", minute: "2-digit" });
    document.getElementById("pause-state").textContent = paused ? t("popupPausedUntil", until) : "";
    document.getElementById("pause").hidden = paused;
    document.getElementById("resume").hidden = !paused;
  }

  document.getElementById("pause").addEventListener("click", async () => {
    await Settings.save({ pausedUntil: Date.now() + Settings.pauseMs });
  });
  document.getElementById("resume").addEventListener("click", async () => {
    await Settings.save({ pausedUntil: 0 });
  });
  Settings.onChange(showPause);
  showPause(settings);

  function fillList(list, items) {
    list.replaceChildren(...items.map((item) => Object.assign(document.createElement("li"), { textContent: item })));
  }

  function showContact(contact) {
    const line = document.getElementById("contact");
    line.replaceChildren();
    if (!contact) return;
    if (contact.name) line.append(contact.name);
    if (typeof contact.email === "string" && /^[^\s@?&#]+@[^\s@?&#]+$/.test(contact.email)) {
      const mail = Object.assign(document.createElement("a"), { href: `mailto:${contact.email}`, textContent: contact.email });
      line.append(line.childNodes.length ? " · " : "", mail);
    }
    if (typeof contact.url === "string" && /^https?:\/\//i.test(contact.url)) {
      const link = Object.assign(document.createElement("a"), { href: contact.url, textContent: contact.url, target: "_blank", rel: "noopener noreferrer" });
      line.append(document.createElement("br"), link);
    }
  }

  /** "Report a missed risk": the topic is counted; the text is sent only when "share" is ticked. */
  function setUpMissedRiskReport(topics) {
    const select = document.getElementById("report-missed-topic");
    for (const topic of topics) {
      if (typeof topic?.id !== "string") continue;
      select.append(new Option(topic.title?.[language] ?? topic.title?.en ?? topic.id, topic.id));
    }
    const form = document.getElementById("report-missed-form");
    const status = document.getElementById("report-missed-status");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = document.getElementById("report-missed-text").value.trim();
      const share = document.getElementById("report-missed-share").checked;
      const message = { type: "feedback", kind: "missed_risk", topic: select.value || null };
      if (share && text) message.text = text;
      const reply = await api.runtime.sendMessage(message).catch(() => null);
      if (reply?.ok) {
        form.reset();
        status.dataset.postguardStatus = "sent";
        status.textContent = t("reportMissedThanks");
      } else {
        status.dataset.postguardStatus = "failed";
        status.textContent = t("reportMissedFailed");
      }
    });
  }

  const [health, policy] = await Promise.all([
    api.runtime.sendMessage({ type: "health" }),
    api.runtime.sendMessage({ type: "policy" }),
  ]);

  const status = document.getElementById("server-status");
  if (health?.ok) {
    status.dataset.postguardStatus = "online";
    status.textContent = t("popupOnline", health.health?.model?.version ?? "?");
  } else {
    status.dataset.postguardStatus = "offline";
    status.textContent = t("popupOffline");
  }

  setUpMissedRiskReport(policy?.ok ? policy.policy?.topics ?? [] : []);

  if (policy?.ok) {
    const body = policy.policy ?? {};
    if (body.company) document.getElementById("company").textContent = `Postguard · ${body.company}`;
    fillList(document.getElementById("dos"), body.dos?.[language] ?? body.dos?.en ?? []);
    fillList(document.getElementById("donts"), body.donts?.[language] ?? body.donts?.en ?? []);
    showContact(body.contact);
    document.getElementById("policy-lists").hidden = false;
  } else {
    document.getElementById("policy-unavailable").hidden = false;
  }
})();
