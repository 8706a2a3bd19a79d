"""The page a browser seat opens, and its words in Kazakh, Russian and English.

The page is ours; the terminal in it is textual.js with xterm.js, served from the installed
`textual-serve` package (never from the internet), with its Roboto Mono font. The page
works out the WebSocket address from the address the browser itself used (`location.host`),
so a server listening on 0.0.0.0 is never named to a browser.
"""

from __future__ import annotations

import html
import json

# Shown all three at once: the page does not know yet which language the student reads.
TEXTS = {
    "full": {
        "kk": "Бұл сыныптағы барлық орын бос емес. Тест өткізушіге айтыңыз.",
        "ru": "Все места в этом классе заняты. Обратитесь к тест-администратору.",
        "en": "Every seat of this room is taken. Tell the test administrator.",
    },
    "address_full": {
        "kk": "Бұл компьютерде тым көп бет ашық. Басқа беттерді жауып, осы бетті қайта ашыңыз.",
        "ru": "На этом компьютере открыто слишком много вкладок. Закройте другие и обновите эту страницу.",
        "en": "Too many tabs are open on this computer. Close the others and reload this page.",
    },
    "closed": {
        "kk": "Бет сынып компьютерімен байланысын жоғалтты. Сақталған жауаптарыңыз жоғалмайды.",
        "ru": "Страница потеряла связь с компьютером класса. Сохранённые ответы не потеряются.",
        "en": "This page lost its link to the room's computer. Your saved answers are safe.",
    },
    "continue": {"kk": "Жалғастыру", "ru": "Продолжить", "en": "Continue"},
    "loading": {"kk": "Жүктелуде…", "ru": "Загрузка…", "en": "Loading…"},
    "failed": {
        "kk": "Сынып компьютері жауап бермейді. Сәлден кейін қайталаңыз немесе қолыңызды көтеріңіз.",
        "ru": "Компьютер класса не отвечает. Повторите чуть позже или поднимите руку.",
        "en": "The room's computer does not answer. Try again in a moment, or raise your hand.",
    },
}
LANGUAGES = ("kk", "ru", "en")


def three(key: str) -> str:
    return "".join(f'<p lang="{lang}">{html.escape(TEXTS[key][lang])}</p>' for lang in LANGUAGES)


def refusal(reason: str) -> dict:
    return {"ok": False, "reason": reason, "message": TEXTS.get(reason, TEXTS["full"])}


STYLE = """
@font-face { font-family: "Roboto Mono"; src: url("/seat/static/RobotoMono.ttf") format("truetype"); }
html, body { margin: 0; height: 100%; background: #0c181f; overflow: hidden; }
#terminal { position: absolute; inset: 0; }
.panel { position: absolute; inset: 0; display: none; align-items: center; justify-content: center;
         z-index: 10; background: #0c181f; }
.panel > div { max-width: 40em; padding: 2em; color: #f0f0f0; background: #12232d;
               font: 18px/1.5 "Roboto Mono", monospace; text-align: center; }
.panel p[lang="en"] { color: #b8c4cc; }
.panel button { margin-top: 1em; padding: 0.8em 2em; font: inherit; border: none; color: #fff;
                background: #1f6f43; cursor: pointer; }
body.-loading #loading, body.-refused #refused, body.-closed #closed { display: flex; }
body.-first-byte #loading { display: none; }
body.-refused #terminal, body.-closed #terminal { visibility: hidden; }
"""

SCRIPT = """
const SEAT_KEY = "synaq-seat";
function newSeatId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);  // available without https, unlike crypto.randomUUID
  return Array.from(bytes, b => b.toString(16).padStart(2, "0")).join("");
}
function seatId() {
  let seat = localStorage.getItem(SEAT_KEY);
  if (!/^[0-9a-f]{32}$/.test(seat || "")) { seat = newSeatId(); localStorage.setItem(SEAT_KEY, seat); }
  return seat;
}
function show(state, texts) {
  if (texts) {
    const box = document.getElementById("refused-text");
    box.replaceChildren(...LANGS.map(lang => { const p = document.createElement("p"); p.lang = lang; p.textContent = texts[lang]; return p; }));
  }
  document.body.classList.remove("-loading");
  document.body.classList.add(state);
}
async function begin() {
  const seat = seatId();
  let answer;
  try {
    const reply = await fetch("/seat/claim", {method: "POST", headers: {"Content-Type": "application/json"},
                                               body: JSON.stringify({seat: seat})});
    answer = await reply.json();
  } catch (error) {
    show("-refused", FAILED);
    return;
  }
  if (!answer.ok) { show("-refused", answer.message); return; }
  if (document.readyState !== "complete") await new Promise(done => addEventListener("load", done));
  await document.fonts.load('16px "Roboto Mono"');  // xterm.js measures the cell once
  const terminal = document.getElementById("terminal");
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  terminal.dataset.sessionWebsocketUrl = scheme + location.host + "/seat/ws/" + seat;
  const script = document.createElement("script");
  script.src = "/seat/static/textual.js";
  // textual.js starts from window.onload, which has already fired: start it by hand.
  script.onload = () => window.onload && window.onload(new Event("load"));
  document.head.appendChild(script);
}
begin();
"""


def page() -> str:
    return f"""<!DOCTYPE html>
<html lang="kk">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Synaq</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/seat/static/xterm.css">
<style>{STYLE}</style>
</head>
<body class="-loading">
<div id="loading" class="panel"><div>{three("loading")}</div></div>
<div id="refused" class="panel"><div id="refused-text"></div></div>
<div id="closed" class="panel"><div>{three("closed")}
<button type="button" onclick="location.reload()">{" / ".join(TEXTS["continue"][lang] for lang in LANGUAGES)}</button></div></div>
<div id="terminal" class="textual-terminal" data-font-size="16"></div>
<script>const LANGS = {json.dumps(list(LANGUAGES))}; const FAILED = {json.dumps(TEXTS["failed"], ensure_ascii=False)};
{SCRIPT}</script>
</body>
</html>
"""
