"""Page CSS and the small script behind in-app links.

``gr.mount_gradio_app`` replaces a Blocks' ``css``, so the bridge component's script installs
the stylesheet itself; the app factory may also pass ``css=CSS`` when mounting.
"""

from __future__ import annotations

import json

CSS = """
.cg-hit {border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px; margin-bottom: 10px;
  overflow-wrap: anywhere;}
.cg-hit-head {margin-bottom: 6px;}
.cg-score {float: right; margin-left: 8px; color: #6b7280; font-size: 0.85em;}
.cg-weak {margin-left: 6px; padding: 0 6px; border-radius: 4px; background: #fee2e2;
  color: #991b1b;}
.cg-hit-weak {opacity: 0.75;}
.cg-notice {background: #fef3c7; border-radius: 6px; padding: 6px 10px; font-size: 0.9em;}
.cg-hit-text {font-size: 0.92em; margin-bottom: 6px;}
.cg-hit a {color: #2563eb;}
.cg-hit mark {background: #fde68a; color: inherit; padding: 0 1px;}
#cg-status {font-size: 0.9em;}
#cg-passage, #cg-search-passage, #cg-chapter-text, #cg-concept-detail, #cg-study-facts,
#cg-chatbot {overflow-wrap: anywhere; min-width: 0;}
#cg-passage pre, #cg-search-passage pre, #cg-chapter-text pre, #cg-chatbot pre {overflow-x: auto;}
#cg-passage table, #cg-search-passage table, #cg-chapter-text table {
  display: block; width: max-content; max-width: 100%; overflow-x: auto;}
@media (max-width: 640px) {
  #cg-chatbot {height: 60vh !important; max-height: 60vh;}
}
"""

# A question of the user in Gradio's chatbot markup.
USER_MESSAGE = ".message-row.user-row"

# Runs once when the hidden bridge component mounts (``js_on_load``): installs CSS and a
# capturing click handler; a click on ``#cg-<kind>=<key>`` sends "<kind>:<key>" to Python.
BRIDGE_JS = """
if (!document.getElementById('cg-style')) {
  const style = document.createElement('style');
  style.id = 'cg-style';
  style.textContent = __CSS__;
  document.head.appendChild(style);
}
const fresh = !window.__cgBridge;
window.__cgBridge = {props, trigger};
if (fresh) {
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#cg-"]');
    if (!link) return;
    const match = link.getAttribute('href').match(/^#cg-(cite|hit|study|doc|concept)=(.*)$/);
    if (!match) return;
    event.preventDefault();
    event.stopPropagation();
    const bridge = window.__cgBridge;
    bridge.props.value = match[1] + ':' + decodeURIComponent(match[2]) + '|' + Date.now();
    bridge.trigger('change');
    if (['cite', 'hit'].includes(match[1]) && window.innerWidth < 768) {
      const pane = document.getElementById(match[1] === 'cite' ? 'cg-passage' : 'cg-search-passage');
      if (pane) setTimeout(() => pane.scrollIntoView({behavior: 'smooth'}), 400);
    }
  }, true);
  // In the question box Enter sends and Shift+Enter starts a new line (Gradio's own
  // multi-line box does the reverse on keypress, so its handler never sees Enter).
  const questionEnter = (event) => event.key === 'Enter' && !event.isComposing
    && event.target.closest && event.target.closest('#cg-question');
  document.addEventListener('keypress', (event) => {
    if (questionEnter(event)) event.stopPropagation();
  }, true);
  document.addEventListener('keydown', (event) => {
    if (!questionEnter(event)) return;
    event.stopPropagation();
    if (event.shiftKey) return;
    event.preventDefault();
    const send = document.getElementById('cg-ask');
    if (send) send.click();
  }, true);
  // When a new question appears in the conversation, scroll it to the top of the box, so the
  // answer is read from its start.
  const scrollerOf = (node) => {
    for (let el = node.parentElement; el; el = el.parentElement) {
      const style = getComputedStyle(el);
      if (/(auto|scroll)/.test(style.overflowY) && el.scrollHeight > el.clientHeight) return el;
    }
    return null;
  };
  let asked = 0;
  const watchChat = () => {
    const chat = document.getElementById('cg-chatbot');
    if (!chat) { setTimeout(watchChat, 500); return; }
    new MutationObserver(() => {
      const questions = chat.querySelectorAll(__USER_MESSAGE__);
      if (questions.length > asked) {
        const last = questions[questions.length - 1];
        const scroller = scrollerOf(last);
        if (scroller) {
          scroller.scrollTop += last.getBoundingClientRect().top
            - scroller.getBoundingClientRect().top - 8;
        }
      }
      asked = questions.length;
    }).observe(chat, {childList: true, subtree: true});
  };
  watchChat();
}
""".replace("__CSS__", json.dumps(CSS)).replace("__USER_MESSAGE__", json.dumps(USER_MESSAGE))
