/**
 * The embeddable player page, `/embed/<film id>`: a film's HLS package played with hls.js, on the
 * public playback API only. It is one page and one small script, with no build step: the script
 * asks `GET /api/v1/films/{id}/playback` (with the viewer's token when the site stored one under
 * `kino.access_token`), then plays `hls_url`, switching rendition as the network allows, with the
 * package's poster, its audio tracks (`?audio=<language>` picks one) and its subtitles (shown from the
 * start with `?subtitles=<language>`).
 *
 * The page keeps what it did in `window.kinoPlayer` (levels, switches, errors), which the browser
 * test reads and a host page may too. Both files are served with the site's CSP (scripts from
 * 'self' only, so nothing inline); hls.js runs without its blob: worker, which that CSP refuses.
 */

export const EMBED_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kinoservice player</title>
<link rel="stylesheet" href="/embed/assets/player.css">
</head>
<body>
<main>
  <video id="video" controls playsinline preload="metadata"></video>
  <div id="status" role="status" aria-live="polite"></div>
</main>
<script src="/embed/assets/hls.min.js"></script>
<script src="/embed/assets/player.js"></script>
</body>
</html>
`;

export const EMBED_CSS = `html, body { margin: 0; height: 100%; background: #000; color: #eee; font: 15px/1.4 system-ui, sans-serif; }
main { position: relative; height: 100%; display: flex; align-items: center; justify-content: center; }
video { width: 100%; height: 100%; background: #000; }
#status { position: absolute; left: 0; right: 0; bottom: 3.5rem; text-align: center; pointer-events: none; }
#status:empty { display: none; }
#status.error { color: #ff8a80; }
`;

/** The player script (plain ES2020, run as it is by the browser). */
export const EMBED_JS = `'use strict';
(async function () {
  var video = document.getElementById('video');
  var status = document.getElementById('status');
  var state = (window.kinoPlayer = { film: null, levels: [], level: -1, loading: [], switches: [], subtitles: [], audioTracks: [], audioTrack: -1, errors: [], ready: false });
  function say(text, isError) {
    status.textContent = text || '';
    status.className = isError ? 'error' : '';
  }
  var match = /^\\/embed\\/([0-9a-fA-F-]{36})\\/?$/.exec(location.pathname);
  if (!match) return say('No such film.', true);
  state.film = match[1];
  var token = null;
  try { token = localStorage.getItem('kino.access_token'); } catch (e) { /* storage blocked */ }
  say('Loading…');
  var res;
  try {
    res = await fetch('/api/v1/films/' + state.film + '/playback', {
      headers: token ? { authorization: 'Bearer ' + token } : {},
    });
  } catch (e) {
    state.errors.push('network');
    return say('The server cannot be reached.', true);
  }
  if (!res.ok) {
    var problem = {};
    try { problem = await res.json(); } catch (e) { /* not JSON */ }
    state.errors.push(problem.code || String(res.status));
    var text = res.status === 401 ? 'Sign in to watch this film.'
      : res.status === 403 ? 'Your subscription does not include this film.'
      : problem.code === 'VIDEO_NOT_READY' ? 'The film is being prepared; try again in a minute.'
      : res.status === 404 ? 'This film has no video yet.'
      : (problem.detail || problem.title || 'Playback failed (' + res.status + ').');
    return say(text, true);
  }
  var playback = await res.json();
  state.playback = playback;
  if (playback.poster) video.poster = playback.poster;
  function preferred(tracks, param) {
    var wanted = new URLSearchParams(location.search).get(param);
    for (var i = 0; i < tracks.length; i++) if (wanted && (tracks[i].lang || '').toLowerCase() === wanted.toLowerCase()) return i;
    return -1;
  }
  var wantedSubtitles = new URLSearchParams(location.search).get('subtitles');
  if (window.Hls && window.Hls.isSupported()) {
    var Hls = window.Hls;
    // The forward buffer is bounded to four 6-second segments: hls.js would otherwise keep up to
    // 60 MB ahead (minutes of a film), paid for by a viewer who leaves, and fetched at a rendition
    // chosen before the network changed, so the player would not switch until all of it played.
    var config = {
      enableWorker: false,
      subtitleDisplay: true,
      capLevelToPlayerSize: false,
      maxBufferLength: 24,
      maxMaxBufferLength: 24,
    };
    // hls.js picks the initial track itself as the tracks load (a choice made in
    // SUBTITLE_TRACKS_UPDATED is undone right after it): tell it the preference up front.
    if (wantedSubtitles) config.subtitlePreference = { lang: wantedSubtitles };
    var hls = new Hls(config);
    state.hls = hls;
    hls.on(Hls.Events.MANIFEST_PARSED, function (_e, data) {
      state.levels = data.levels.map(function (l) { return { height: l.height, width: l.width, bitrate: l.bitrate }; });
      state.ready = true;
      say('');
    });
    // LEVEL_SWITCHING: the player chose another rendition for the next segments it loads;
    // LEVEL_SWITCHED: playback reached them.
    hls.on(Hls.Events.LEVEL_SWITCHING, function (_e, data) {
      state.loading.push({ level: data.level, height: data.height, at: video.currentTime });
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, function (_e, data) {
      state.level = data.level;
      var l = hls.levels[data.level];
      state.switches.push({ level: data.level, height: l ? l.height : null, at: video.currentTime });
    });
    hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, function (_e, data) {
      state.subtitles = data.subtitleTracks.map(function (t) { return { lang: t.lang, name: t.name }; });
    });
    hls.on(Hls.Events.AUDIO_TRACKS_UPDATED, function (_e, data) {
      state.audioTracks = data.audioTracks.map(function (t) { return { lang: t.lang, name: t.name }; });
      var chosen = preferred(data.audioTracks, 'audio');
      if (chosen >= 0) hls.audioTrack = chosen;
    });
    hls.on(Hls.Events.AUDIO_TRACK_SWITCHED, function (_e, data) {
      state.audioTrack = data.id;
    });
    hls.on(Hls.Events.ERROR, function (_e, data) {
      if (!data.fatal) return;
      state.errors.push(data.details);
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
        say('Network trouble; retrying…', true);
        hls.startLoad();
      } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
      } else {
        say('This film cannot be played here (' + data.details + ').', true);
        hls.destroy();
      }
    });
    hls.loadSource(playback.hls_url);
    hls.attachMedia(video);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    // Safari plays HLS itself.
    video.src = playback.hls_url;
    state.ready = true;
    say('');
  } else {
    state.errors.push('unsupported');
    return say('This browser cannot play HLS video.', true);
  }
})();
`;
