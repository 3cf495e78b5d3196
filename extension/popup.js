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
  const { el } = globalThis.PostguardDom;

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
    list.replaceChildren(...items.map((item) => el("li", "", item)));
  }

  function showContact(contact) {
    const line = document.getElementById("contact");
    line.replaceChildren();
    if (!contact) return;
    if (contact.name) line.append(contact.name);
    if (typeof contact.email === "string" && /^[^\s@?&#]+@[^\s@?&#]+$/.test(contact.email)) {
      const mail = Object.assign(el("a", "", contact.email), { href: `mailto:${contact.email}` });
      line.append(line.childNodes.length ? " · " : "", mail);
    }
    if (typeof contact.url === "string" && /^https?:\/\//i.test(contact.url)) {
      const link = Object.assign(el("a", "", contact.url), { href: contact.url, target: "_blank", rel: "noopener noreferrer" });
      line.append(el("br"), link);
    }
  }

  // ---- practice progress, launches and the inside feed -----------------------------------

  const LAUNCH_NOTICE_DAYS = 14;
  const FEED_ITEMS_SHOWN = 6;

  /** "This week: 2 of 5", from this browser's storage only. */
  async function showPracticeProgress() {
    const { practice } = await api.storage.local.get("practice");
    const week = globalThis.PostguardPractice.isoWeek(new Date());
    const set = practice?.week === week && Array.isArray(practice.set) ? practice.set : [];
    const total = set.length || globalThis.PostguardPractice.SET_SIZE;
    const done = set.filter((id) => practice.answers?.[id]).length;
    document.getElementById("practice-progress").textContent =
      done && done >= total ? t("popupPracticeDone") : t("popupPracticeProgress", done, total);
  }

  /** Days from an ISO date ("2027-03-24") to today, in the person's own calendar. */
  function daysSince(isoDate) {
    const [year, month, day] = String(isoDate).split("-").map(Number);
    const now = new Date();
    return Math.round((Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()) - Date.UTC(year, month - 1, day)) / 86400000);
  }

  /** "X has launched: you can post about it now", for two weeks from the day it may be posted. */
  function showLaunches(body) {
    const recent = (Array.isArray(body?.launches) ? body.launches : []).filter((launch) => {
      const days = daysSince(launch.since);
      return days >= 0 && days < LAUNCH_NOTICE_DAYS;
    });
    fillList(document.getElementById("launch-list"), recent.map((launch) => t("launchNotice", launch.term)));
    document.getElementById("launches").hidden = recent.length === 0;
  }

  /** "What is said about us": the newest feed items; a feed left out is a quiet note. */
  async function showFeed() {
    const reply = await api.runtime.sendMessage({ type: "feed" });
    if (!reply?.ok) return;
    const items = (reply.feed?.items ?? []).filter((item) => /^https?:\/\//i.test(item.link)).slice(0, FEED_ITEMS_SHOWN);
    const notes = reply.feed?.notes ?? [];
    const list = document.getElementById("feed-items");
    list.replaceChildren(...items.map((item) => {
      const entry = el("li", "postguard-feed-item");
      entry.dataset.postguardOfficial = String(Boolean(item.official));
      const link = Object.assign(el("a", "", item.title), { href: item.link, target: "_blank", rel: "noopener noreferrer" });
      const meta = el("span", "postguard-muted");
      const date = item.published ? new Date(item.published) : null;
      meta.textContent = [item.feed, date && !Number.isNaN(date.getTime()) ? date.toLocaleDateString(language) : ""].filter(Boolean).join(" · ");
      entry.append(link, meta);
      if (item.official) entry.append(el("span", "postguard-tag", t("feedOfficial")));
      return entry;
    }));
    document.getElementById("feed-note").hidden = notes.length === 0;
    document.getElementById("inside-feed").hidden = items.length === 0 && notes.length === 0;
  }

  showPracticeProgress();
  showFeed();

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
  if (policy?.unpaired) {
    // The server answers but wants the pairing token: say where it goes.
    status.dataset.postguardStatus = "unpaired";
    status.textContent = t("popupUnpaired");
  }

  setUpMissedRiskReport(policy?.ok ? policy.policy?.topics ?? [] : []);

  if (policy?.ok) {
    const body = policy.policy ?? {};
    if (body.company) document.getElementById("company").textContent = `Postguard · ${body.company}`;
    fillList(document.getElementById("dos"), body.dos?.[language] ?? body.dos?.en ?? []);
    fillList(document.getElementById("donts"), body.donts?.[language] ?? body.donts?.en ?? []);
    showContact(body.contact);
    document.getElementById("policy-lists").hidden = false;
    showLaunches(body);
  } else {
    document.getElementById("policy-unavailable").hidden = false;
  }
})();
