// The shell: sign-in, navigation by role, and the hash routes #/dashboard[/team] and #/me.

import { currentSession, get, signIn, signOut } from "./api.js";
import { renderDashboard } from "./dashboard.js";
import { failure, h, replace } from "./dom.js";
import { renderRepView } from "./rep.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");

const canSeeTeams = (session) => session.role !== "rep";
const hasOwnView = (session) => session.role === "rep" || session.role === "manager";

function signInView(message) {
  const secret = h("input", { id: "secret", name: "secret", type: "password", autocomplete: "off", required: true, "aria-describedby": "secret-help" });
  const status = h("div", { "aria-live": "polite", class: "signin-status" }, message ? failure(message) : null);
  const form = h(
    "form",
    {
      class: "signin",
      onsubmit: async (event) => {
        event.preventDefault();
        replace(status);
        try {
          await signIn(secret.value);
          secret.value = "";
          window.location.hash = "";
          route();
        } catch (error) {
          replace(status, failure(error.message));
        }
      },
    },
    h("h1", {}, "Sign in to Groundtruth"),
    h("label", { for: "secret" }, "API key or token"),
    secret,
    h(
      "p",
      { id: "secret-help", class: "why" },
      "Paste your API key (gt_…) or a token (gtt_…). A key is exchanged at once for a token that expires in minutes; only the token is kept, and only in this tab.",
    ),
    h("button", { type: "submit" }, "Sign in"),
    status,
  );
  nav.replaceChildren();
  who.replaceChildren();
  replace(main, form);
  secret.focus();
}

function navigation(session, current) {
  const links = [];
  if (canSeeTeams(session)) links.push(["#/dashboard", "Team dashboard", current === "dashboard"]);
  if (hasOwnView(session)) links.push(["#/me", "My day", current === "me"]);
  replace(nav, ...links.map(([href, text, active]) => h("a", { href, "aria-current": active ? "page" : null }, text)));
  const name = h("span", { class: "me", title: session.rep_id || "" }, session.rep_id || session.role);
  replace(
    who,
    name,
    ` · ${session.role} · ${session.tenant_id} `,
    h("button", { type: "button", class: "link", onclick: () => { signOut(); window.location.hash = ""; route(); } }, "Sign out"),
  );
  // People by name: the signed-in rep's display name, the address one hover away.
  if (session.rep_id) get("/v1/me/score").then((score) => { if (score.display_name) name.textContent = score.display_name; }, () => {});
}

function route() {
  const session = currentSession();
  if (!session) {
    signInView();
    return;
  }
  const [page, team] = window.location.hash.replace(/^#\/?/, "").split("/");
  const wanted = page || (canSeeTeams(session) ? "dashboard" : "me");
  navigation(session, wanted);
  if (wanted === "dashboard") {
    if (!canSeeTeams(session)) {
      replace(main, failure(`A ${session.role} key cannot open the team dashboard. Your own view is under “My day”.`));
      return;
    }
    renderDashboard(main, session, decodeURIComponent(team || ""));
  } else if (wanted === "me") {
    if (!hasOwnView(session)) {
      replace(main, failure(`An ${session.role} key is not bound to a rep, so it has no own view.`));
      return;
    }
    renderRepView(main, session);
  } else {
    replace(main, failure("There is no such page."));
  }
  main.focus();
}

window.addEventListener("hashchange", route);
window.addEventListener("groundtruth:signed-out", (event) => signInView(`Signed out: ${event.detail}`));
route();
