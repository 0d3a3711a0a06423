// Tideline console: confirmed actions through the public API, and the page's own reload. No dependencies.
(function () {
  'use strict';
  var COOKIE = 'tideline_console_token=';
  var DONE = ['COMPLETED', 'FAILED', 'CANCELED'];
  var busy = false;

  // The session cookie holds the API token; actions send it as the bearer token, like any API client.
  function token() {
    var parts = document.cookie.split('; ');
    for (var i = 0; i < parts.length; i++) {
      if (parts[i].indexOf(COOKIE) === 0) { return decodeURIComponent(parts[i].substring(COOKIE.length)); }
    }
    return '';
  }

  // textContent only: API messages may quote identifiers, which are never parsed as markup.
  function say(text, failed) {
    var result = document.getElementById('action-result');
    if (!result) { return; }
    result.textContent = text;
    result.className = failed ? 'failed' : '';
  }

  function api(method, path, body) {
    var init = { method: method, headers: { 'Authorization': 'Bearer ' + token() } };
    if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = body; }
    return fetch(path, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) { return { ok: response.ok, status: response.status, json: json }; });
    });
  }

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  // Follows an update until the service reports it finished (404 until the service has seen the request).
  function follow(pipeline, updateId, attempt) {
    if (attempt > 450) { say('update ' + updateId + ': still running; see the pipeline page', false); return Promise.resolve(); }
    return api('GET', '/api/2.0/pipelines/' + encodeURIComponent(pipeline) + '/updates/' + encodeURIComponent(updateId)).then(function (r) {
      if (r.ok && r.json.update) {
        var u = r.json.update;
        say('update ' + updateId + ': ' + u.state + (u.message ? ' (' + u.message + ')' : ''), u.state === 'FAILED');
        if (DONE.indexOf(u.state) >= 0) { return u.state; }
      }
      return sleep(2000).then(function () { return follow(pipeline, updateId, attempt + 1); });
    });
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('button.action') : null;
    if (!button || !window.confirm(button.dataset.confirm)) { return; }
    busy = true;
    button.disabled = true;
    api('POST', button.dataset.path, button.dataset.body).then(function (r) {
      if (!r.ok) {
        say(button.textContent + ' failed: ' + (r.json.message || ('HTTP ' + r.status)), true);
        return;
      }
      say('update ' + r.json.update_id + ' requested', false);
      if (button.dataset.pipeline) { return follow(button.dataset.pipeline, r.json.update_id, 0); }
      return sleep(3000);
    }).catch(function (e) {
      say(button.textContent + ' failed: ' + e, true);
    }).then(function () {
      button.disabled = false;
      // keep the outcome on screen a while before the next reload replaces it
      setTimeout(function () { busy = false; }, 10000);
    });
  });

  var refresh = parseInt(document.body.getAttribute('data-refresh') || '0', 10);
  if (refresh > 0) {
    setInterval(function () {
      var active = document.activeElement;
      if (!busy && !(active && active.tagName === 'INPUT')) { window.location.reload(); }
    }, refresh * 1000);
  }
})();
