// Breakroom: progressive enhancement only; every page works without this file.
// Registers the service worker, shows the offline banner on pages served from its cache,
// and turns on push notifications on a click (a user gesture, as iOS requires).
(function () {
  'use strict';

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(function () {});
  }

  // A page kept for offline reading carries its render time; when it is shown from the
  // service worker's cache (or the browser is offline) the banner says how old it is.
  var body = document.body;
  var banner = document.getElementById('offline-banner');
  function showBanner() {
    if (banner && body.dataset.offlinePage) { banner.hidden = false; }
  }
  if (!navigator.onLine || body.dataset.fromCache === 'true') { showBanner(); }
  window.addEventListener('offline', showBanner);
  window.addEventListener('online', function () { if (banner) { banner.hidden = true; } });
  if (navigator.serviceWorker && navigator.serviceWorker.addEventListener) {
    navigator.serviceWorker.addEventListener('message', function (event) {
      if (event.data && event.data.type === 'served-from-cache') { showBanner(); }
    });
  }

  // Signing out forgets the pages kept for offline reading (a shared phone in the break room).
  var signout = document.querySelector('form[action="/signout"]');
  if (signout && navigator.serviceWorker && navigator.serviceWorker.controller) {
    signout.addEventListener('submit', function () {
      navigator.serviceWorker.controller.postMessage({ type: 'signed-out' });
    });
  }

  function base64UrlToBytes(text) {
    var padded = (text + '===='.slice(text.length % 4 || 4)).replace(/-/g, '+').replace(/_/g, '/');
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }
  function bytesToBase64Url(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = '';
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  var button = document.getElementById('push-button');
  var status = document.getElementById('push-status');
  if (!button || !status) { return; }
  var supported = 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
  var ios = /iphone|ipad/i.test(navigator.userAgent);
  var standalone = window.matchMedia('(display-mode: standalone)').matches || navigator.standalone === true;
  if (!supported) {
    status.textContent = ios && !standalone ? status.dataset.install : status.dataset.unsupported;
    return;
  }
  button.hidden = false;
  button.addEventListener('click', function () {
    button.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== 'granted') { throw new Error('permission'); }
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      return registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: base64UrlToBytes(button.dataset.key)
      });
    }).then(function (subscription) {
      return fetch('/settings/push', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': button.dataset.csrf },
        body: JSON.stringify({
          endpoint: subscription.endpoint,
          p256dh: bytesToBase64Url(subscription.getKey('p256dh')),
          auth: bytesToBase64Url(subscription.getKey('auth')),
          label: (navigator.userAgentData && navigator.userAgentData.platform) || navigator.platform || ''
        })
      });
    }).then(function (response) {
      if (!response.ok) { throw new Error('register'); }
      status.textContent = status.dataset.on;
      button.hidden = true;
    }).catch(function () {
      status.textContent = status.dataset.failed;
      button.disabled = false;
    });
  });
})();
