// Breakroom service worker (version __VERSION__): push notifications and offline reading
// of Home and My week. Hand-written; no build step.
'use strict';

var PAGES = 'breakroom-pages-v1';
var MESSAGES = 'breakroom-messages-v1';
var OFFLINE_PAGES = ['/', '/week'];

// Titles by kind, in the reader's language when /push-messages.json could be fetched
// (and cached) while signed in; English otherwise.
var FALLBACK = {
  'KIND_ROSTER_PUBLISHED': 'Your roster is out',
  'KIND_SHIFT_CHANGED': 'Your shift changed',
  'KIND_OPEN_SHIFT': 'An open shift is available',
  'KIND_ANNOUNCEMENT': 'New announcement',
  'KIND_ACKNOWLEDGEMENT_REMINDER': 'Please read and confirm',
  'KIND_COMMENT': 'New comment',
  'KIND_REPLY': 'New reply',
  'KIND_MENTION': 'You were mentioned',
  'default': 'Breakroom'
};

self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (event) { event.waitUntil(self.clients.claim()); });

function messages() {
  return fetch('/push-messages.json', { credentials: 'same-origin' }).then(function (response) {
    if (!response.ok) { throw new Error('messages'); }
    var copy = response.clone();
    caches.open(MESSAGES).then(function (cache) { cache.put('/push-messages.json', copy); });
    return response.json();
  }).catch(function () {
    return caches.open(MESSAGES).then(function (cache) {
      return cache.match('/push-messages.json');
    }).then(function (cached) { return cached ? cached.json() : FALLBACK; });
  }).catch(function () { return FALLBACK; });
}

function target(kind, fields) {
  if (['KIND_ROSTER_PUBLISHED', 'KIND_SHIFT_CHANGED', 'KIND_OPEN_SHIFT', 'KIND_SWAP_OFFERED',
       'KIND_SWAP_DECIDED', 'KIND_CLAIM_DECIDED', 'KIND_TIME_OFF_DECIDED'].indexOf(kind) >= 0) {
    return '/week';
  }
  var post = fields && fields.post;
  var match = post && /^tenants\/[^/]+\/groups\/([A-Za-z0-9_-]+)\/posts\/([A-Za-z0-9_-]+)$/.exec(post);
  return match ? '/posts/' + match[1] + '/' + match[2] : '/inbox';
}

// iOS revokes the permission of a web app that receives a push without showing one, so
// every push shows a notification, even one that cannot be read.
self.addEventListener('push', function (event) {
  var payload = {};
  try { payload = event.data ? event.data.json() : {}; } catch (e) { payload = {}; }
  var kind = payload.kind || 'KIND_UNSPECIFIED';
  var fields = payload.fields || {};
  event.waitUntil(messages().then(function (text) {
    var title = text[kind] || text['default'] || 'Breakroom';
    var body = fields.title || fields.post_title || '';
    if (payload.count > 1 && text.more) { body = (body ? body + ' ' : '') + text.more.replace('{count}', payload.count); }
    return self.registration.showNotification(title, {
      body: body,
      tag: payload.key || payload.id || kind,
      data: { url: target(kind, fields), id: payload.id || '' },
      requireInteraction: payload.urgent === true
    });
  }));
});

// Opening a notification marks its inbox item read (with the CSRF token the signed-in
// messages carried), then shows the screen it is about.
function markRead(id) {
  if (!id) { return Promise.resolve(); }
  return caches.open(MESSAGES).then(function (cache) {
    return cache.match('/push-messages.json');
  }).then(function (cached) { return cached ? cached.json() : {}; }).then(function (text) {
    if (!text.csrf) { return undefined; }
    return fetch('/inbox/read', {
      method: 'POST',
      credentials: 'same-origin',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': text.csrf },
      body: 'id=' + encodeURIComponent(id)
    });
  }).catch(function () {});
}

function show(url) {
  return self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if ('focus' in windows[i] && 'navigate' in windows[i]) {
        return windows[i].navigate(url).then(function (w) { return w && w.focus(); });
      }
    }
    return self.clients.openWindow(url);
  });
}

self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var data = event.notification.data || {};
  // The window first: browsers allow opening one only right after the click.
  event.waitUntil(Promise.all([show(data.url || '/'), markRead(data.id)]));
});

// Home and My week: network first; a good answer is kept, and offline the kept copy is
// shown (app.js then shows the "offline — as of HH:MM" banner from the page's render time).
// Each week is kept under its own address (`/week?week=2026-W50`); offline, a week never
// kept falls back to the last plain My week. Home's older pages are not kept.
self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET' || request.mode !== 'navigate') { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || OFFLINE_PAGES.indexOf(url.pathname) < 0) { return; }
  if (url.pathname === '/' && url.search) { return; }
  var key = url.pathname + url.search;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(key, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(PAGES).then(function (cache) {
      return cache.match(key).then(function (hit) { return hit || cache.match(url.pathname); });
    }).then(function (cached) {
      if (!cached) { return Response.error(); }
      return cached.text().then(function (html) {
        var marked = html.replace('<body ', '<body data-from-cache="true" ');
        return new Response(marked, { headers: { 'content-type': 'text/html; charset=utf-8' } });
      });
    });
  }));
});

// Signing out clears what was kept.
self.addEventListener('message', function (event) {
  if (event.data && event.data.type === 'signed-out') {
    event.waitUntil(caches.delete(PAGES));
  }
});
