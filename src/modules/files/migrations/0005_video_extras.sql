-- What a video offers beside its renditions (ADR 0100). `extras`: the published package's own
-- files, made by the worker with it ({"poster": true, "thumbnails": true}); they are replaced
-- with the package. `subtitles`: the WebVTT tracks editors uploaded for the film
-- ([{"lang": "en", "label": "English", "bytes": 1234}]); they stay when the video is replaced.
ALTER TABLE files.video ADD COLUMN extras jsonb NOT NULL DEFAULT '{}';
ALTER TABLE files.video ADD COLUMN subtitles jsonb NOT NULL DEFAULT '[]';
