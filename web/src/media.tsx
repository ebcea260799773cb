/**
 * A film's media on its edit page: the poster and the trailer (uploaded with progress, shown,
 * replaced, removed) and the film's video (a resumable upload, then the packaging job's live
 * status: step, percent, ETA, renditions as they join, storage, the reason of a failure) and its
 * subtitle tracks (a WebVTT file per language). Everything goes through the public files API.
 */
import { useRef, useState, type ChangeEvent, type ReactNode } from 'react';
import { Button, Confirm, useNotify, useTranslate } from 'react-admin';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Box,
  Card,
  CardContent,
  Chip,
  LinearProgress,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import UploadIcon from '@mui/icons-material/Upload';
import DeleteIcon from '@mui/icons-material/Delete';
import ReplayIcon from '@mui/icons-material/Replay';
import { api } from './http';
import {
  contentUrl,
  postFile,
  videoUpload,
  type FileKind,
  type ResumableUpload,
  type StoredFile,
} from './uploads';

/** How often the video status is read while the job runs (ms). */
const POLL_MS = 1500;

type Translate = ReturnType<typeof useTranslate>;

/** 1536 → "1.5 KB": binary multiples, as disks and quotas count them. */
export function humanBytes(bytes: number, translate: Translate): string {
  const units = ['b', 'kb', 'mb', 'gb', 'tb'] as const;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${translate(`kino.media.unit.${units[unit]}`)}`;
}

function humanBitrate(bitsPerSecond: number, translate: Translate): string {
  return bitsPerSecond >= 1_000_000
    ? `${(bitsPerSecond / 1_000_000).toFixed(1)} ${translate('kino.media.unit.mbps')}`
    : `${Math.round(bitsPerSecond / 1000)} ${translate('kino.media.unit.kbps')}`;
}

function humanDuration(seconds: number, translate: Translate): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.round(seconds % 60);
  const parts: string[] = [];
  if (h) parts.push(`${h} ${translate('kino.media.unit.h')}`);
  if (m) parts.push(`${m} ${translate('kino.media.unit.min')}`);
  if (!h && (s || parts.length === 0)) parts.push(`${s} ${translate('kino.media.unit.s')}`);
  return parts.join(' ');
}

/** A hidden file input and the button that opens it. */
function PickButton(props: {
  label: string;
  accept: string;
  disabled?: boolean;
  testId: string;
  onPick: (file: File) => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  const changed = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file) props.onPick(file);
  };
  return (
    <>
      <input
        ref={input}
        type="file"
        accept={props.accept}
        hidden
        data-testid={props.testId}
        onChange={changed}
      />
      <Button label={props.label} disabled={props.disabled} onClick={() => input.current?.click()}>
        <UploadIcon />
      </Button>
    </>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Card variant="outlined" sx={{ mb: 2, width: '100%' }}>
      <CardContent>
        <Typography variant="h6" gutterBottom>
          {title}
        </Typography>
        {children}
      </CardContent>
    </Card>
  );
}

function Progress({ fraction, label, testId }: { fraction: number; label: string; testId: string }) {
  const percent = Math.round(fraction * 100);
  return (
    <Box sx={{ my: 1 }} data-testid={testId}>
      <LinearProgress variant="determinate" value={percent} aria-label={label} />
      <Typography variant="body2" color="text.secondary">
        {label}: {percent}%
      </Typography>
    </Box>
  );
}

/** The film's newest file of `kind` (the one the film shows), or null. */
async function currentFile(filmId: string, kind: FileKind): Promise<StoredFile | null> {
  const { json } = await api<StoredFile[]>(
    `/api/v1/files?film_id=${encodeURIComponent(filmId)}&kind=${kind}&page_size=1`,
  );
  return json[0] ?? null;
}

/**
 * One file of a film (poster or trailer): its preview, an upload with progress that replaces it
 * (the previous file is deleted once the new one is stored), and removal.
 */
function FileSlot(props: {
  filmId: string;
  kind: 'poster' | 'trailer';
  accept: string;
  preview: (file: StoredFile) => ReactNode;
}) {
  const { filmId, kind } = props;
  const translate = useTranslate();
  const notify = useNotify();
  const queryClient = useQueryClient();
  const key = ['film-file', filmId, kind];
  const { data: current, isPending } = useQuery({ queryKey: key, queryFn: () => currentFile(filmId, kind) });
  const [progress, setProgress] = useState<number | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [removing, setRemoving] = useState(false);

  const upload = async (file: File) => {
    setProgress(0);
    try {
      const stored = await postFile(file, { kind, film_id: filmId }, setProgress);
      if (current) await api(`/api/v1/files/${current.id}`, { method: 'DELETE' }).catch(() => undefined);
      queryClient.setQueryData(key, stored);
      notify(`kino.media.${kind}.uploaded`, { type: 'success' });
    } catch (error) {
      notify((error as Error).message, { type: 'error' });
    } finally {
      setProgress(null);
      void queryClient.invalidateQueries({ queryKey: key });
    }
  };
  const remove = async () => {
    if (!current) return;
    setRemoving(true);
    try {
      await api(`/api/v1/files/${current.id}`, { method: 'DELETE' });
      notify(`kino.media.${kind}.removed`, { type: 'info' });
    } catch (error) {
      notify((error as Error).message, { type: 'error' });
    } finally {
      setRemoving(false);
      setConfirming(false);
      await queryClient.invalidateQueries({ queryKey: key });
    }
  };

  const busy = progress !== null || removing;
  return (
    <Section title={translate(`kino.media.${kind}.title`)}>
      {isPending ? (
        <LinearProgress />
      ) : current ? (
        <Box sx={{ mb: 1 }}>
          {props.preview(current)}
          <Typography variant="body2" color="text.secondary">
            {current.filename} · {humanBytes(current.size, translate)}
          </Typography>
        </Box>
      ) : (
        <Typography color="text.secondary" data-testid={`${kind}-empty`}>
          {translate(`kino.media.${kind}.empty`)}
        </Typography>
      )}
      {progress !== null && (
        <Progress fraction={progress} label={translate('kino.media.uploading')} testId={`${kind}-progress`} />
      )}
      <Stack direction="row" spacing={1} sx={{ mt: 1 }}>
        <PickButton
          label={translate(current ? `kino.media.${kind}.replace` : `kino.media.${kind}.upload`)}
          accept={props.accept}
          disabled={busy}
          testId={`${kind}-input`}
          onPick={(file) => void upload(file)}
        />
        {current && (
          <Button
            label={translate(`kino.media.${kind}.remove`)}
            color="error"
            disabled={busy}
            onClick={() => setConfirming(true)}
          >
            <DeleteIcon />
          </Button>
        )}
      </Stack>
      <Confirm
        isOpen={confirming}
        loading={removing}
        title={translate(`kino.media.${kind}.remove`)}
        content={translate(`kino.media.${kind}.remove_confirm`)}
        onConfirm={() => void remove()}
        onClose={() => setConfirming(false)}
      />
    </Section>
  );
}

interface Rendition {
  name: string;
  width: number;
  height: number;
  codecs: string;
  bandwidth: number;
  average_bandwidth: number;
  duration: number;
  bytes: number;
}

type JobStatus = 'queued' | 'processing' | 'ready' | 'failed';

interface VideoJob {
  film_id: string;
  job_id: string;
  file_id: string;
  status: JobStatus;
  step: string | null;
  percent: number;
  eta_seconds: number | null;
  error: string | null;
  attempts: number;
  renditions: Rendition[];
  storage_bytes: number;
  subtitles: Subtitle[];
  finished_at: string | null;
}

interface Subtitle {
  lang: string;
  label: string;
  bytes: number;
}

const running = (job: VideoJob | null | undefined) =>
  job?.status === 'queued' || job?.status === 'processing';

/** The film's video job, or null when the film has none (404). */
async function fetchVideo(filmId: string): Promise<VideoJob | null> {
  try {
    return (await api<VideoJob>(`/api/v1/films/${encodeURIComponent(filmId)}/video`)).json;
  } catch (error) {
    if ((error as { status?: number }).status === 404) return null;
    throw error;
  }
}

const STATUS_COLOR: Record<JobStatus, 'default' | 'info' | 'success' | 'error'> = {
  queued: 'default',
  processing: 'info',
  ready: 'success',
  failed: 'error',
};

function JobPanel({ job }: { job: VideoJob }) {
  const translate = useTranslate();
  return (
    <Box data-testid="video-job" data-status={job.status}>
      <Stack direction="row" spacing={2} alignItems="center" sx={{ mb: 1 }}>
        <Chip
          label={translate(`kino.media.video.status.${job.status}`)}
          color={STATUS_COLOR[job.status]}
          data-testid="video-status"
        />
        {job.step && running(job) && (
          <Typography variant="body2" data-testid="video-step">
            {translate('kino.media.video.step')}: {job.step}
          </Typography>
        )}
        {job.eta_seconds !== null && running(job) && (
          <Typography variant="body2" data-testid="video-eta">
            {translate('kino.media.video.eta')}: {humanDuration(job.eta_seconds, translate)}
          </Typography>
        )}
      </Stack>
      {running(job) && (
        <Progress
          fraction={job.percent / 100}
          label={translate('kino.media.video.processing')}
          testId="video-progress"
        />
      )}
      {job.status === 'failed' && job.error && (
        <Alert severity="error" sx={{ my: 1 }} data-testid="video-error">
          {translate('kino.media.video.failed')}: {job.error}
        </Alert>
      )}
      {job.status !== 'failed' && job.error && (
        <Alert severity="warning" sx={{ my: 1 }} data-testid="video-retrying">
          {translate('kino.media.video.retrying', { smart_count: job.attempts })}: {job.error}
        </Alert>
      )}
      <Typography variant="body2" sx={{ my: 1 }} data-testid="video-storage">
        {translate('kino.media.video.storage')}: {humanBytes(job.storage_bytes, translate)}
      </Typography>
      {job.renditions.length > 0 && (
        <Table size="small" data-testid="video-renditions">
          <TableHead>
            <TableRow>
              <TableCell>{translate('kino.media.video.rendition')}</TableCell>
              <TableCell>{translate('kino.media.video.resolution')}</TableCell>
              <TableCell>{translate('kino.media.video.bitrate')}</TableCell>
              <TableCell>{translate('kino.media.video.size')}</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {job.renditions.map((r) => (
              <TableRow key={r.name} data-testid="video-rendition">
                <TableCell>{r.name}</TableCell>
                <TableCell>
                  {r.width}×{r.height}
                </TableCell>
                <TableCell>{humanBitrate(r.average_bandwidth || r.bandwidth, translate)}</TableCell>
                <TableCell>{humanBytes(r.bytes, translate)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Box>
  );
}

interface UploadState {
  sent: number;
  total: number;
  error?: string;
  /** The connection failed: the upload can resume from what the server has. */
  resumable?: boolean;
}

/**
 * The film's video: empty state, a resumable upload with progress, then the job's status read
 * every 1.5 s while it is queued or processing; replace and delete (confirmed).
 */
function FilmVideo({ filmId }: { filmId: string }) {
  const translate = useTranslate();
  const notify = useNotify();
  const queryClient = useQueryClient();
  const key = ['film-video', filmId];
  const {
    data: job,
    isPending,
    error,
  } = useQuery({
    queryKey: key,
    queryFn: () => fetchVideo(filmId),
    refetchInterval: (query) => (running(query.state.data) ? POLL_MS : false),
  });
  const [upload, setUpload] = useState<UploadState | null>(null);
  const handle = useRef<ResumableUpload | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);

  const attach = async (fileId: string) => {
    try {
      const { json } = await api<VideoJob>(`/api/v1/films/${encodeURIComponent(filmId)}/video`, {
        method: 'PUT',
        body: { file_id: fileId },
      });
      queryClient.setQueryData(key, json);
      setUpload(null);
      notify('kino.media.video.queued', { type: 'success' });
    } catch (e) {
      setUpload((u) => u && { ...u, error: (e as Error).message, resumable: false });
    }
  };
  const start = (file: File) => {
    setUpload({ sent: 0, total: file.size });
    handle.current = videoUpload(file, filmId, {
      onProgress: (sent, total) => setUpload({ sent, total }),
      onSuccess: (fileId) => {
        handle.current = null;
        void attach(fileId);
      },
      onError: (e, network) =>
        setUpload((u) => ({
          sent: u?.sent ?? 0,
          total: u?.total ?? file.size,
          error: network ? translate('kino.media.video.network_error') : e.message,
          resumable: network,
        })),
    });
    handle.current.start();
  };
  const resume = () => {
    setUpload((u) => u && { sent: u.sent, total: u.total });
    handle.current?.start();
  };
  const cancel = () => {
    void handle.current?.abort();
    handle.current = null;
    setUpload(null);
  };
  const remove = async () => {
    setDeleting(true);
    try {
      await api(`/api/v1/films/${encodeURIComponent(filmId)}/video`, { method: 'DELETE' });
      queryClient.setQueryData(key, null);
      notify('kino.media.video.deleted', { type: 'info' });
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    } finally {
      setDeleting(false);
      setConfirming(false);
    }
  };

  const uploading = upload !== null;
  return (
    <Section title={translate('kino.media.video.title')}>
      {isPending ? (
        <LinearProgress />
      ) : error ? (
        <Alert severity="error">{(error as Error).message}</Alert>
      ) : job ? (
        <JobPanel job={job} />
      ) : (
        !uploading && (
          <Typography color="text.secondary" data-testid="video-empty">
            {translate('kino.media.video.empty')}
          </Typography>
        )
      )}
      {upload && (
        <Box data-testid="video-upload">
          <Progress
            fraction={upload.total ? upload.sent / upload.total : 0}
            label={`${translate('kino.media.uploading')} (${humanBytes(upload.sent, translate)} / ${humanBytes(upload.total, translate)})`}
            testId="video-upload-progress"
          />
          {upload.error && (
            <Alert
              severity="error"
              data-testid="video-upload-error"
              action={
                <>
                  {upload.resumable && (
                    <Button label={translate('kino.media.video.resume')} onClick={resume}>
                      <ReplayIcon />
                    </Button>
                  )}
                  <Button label={translate('ra.action.cancel')} onClick={cancel} />
                </>
              }
            >
              {upload.error}
            </Alert>
          )}
        </Box>
      )}
      <Stack direction="row" spacing={1} sx={{ mt: 1 }}>
        <PickButton
          label={translate(job ? 'kino.media.video.replace' : 'kino.media.video.upload')}
          accept="video/*"
          disabled={uploading || deleting}
          testId="video-input"
          onPick={start}
        />
        {job && (
          <Button
            label={translate('kino.media.video.delete')}
            color="error"
            disabled={uploading || deleting}
            onClick={() => setConfirming(true)}
          >
            <DeleteIcon />
          </Button>
        )}
      </Stack>
      <Confirm
        isOpen={confirming}
        loading={deleting}
        title={translate('kino.media.video.delete')}
        content={translate('kino.media.video.delete_confirm')}
        onConfirm={() => void remove()}
        onClose={() => setConfirming(false)}
      />
    </Section>
  );
}

/**
 * The video's subtitle tracks: language, label, size; a .vtt uploaded for a language (replacing
 * that language's track) with an optional label; delete. Read from the same query as the video.
 */
function FilmSubtitles({ filmId }: { filmId: string }) {
  const translate = useTranslate();
  const notify = useNotify();
  const queryClient = useQueryClient();
  const key = ['film-video', filmId];
  const { data: job } = useQuery({ queryKey: key, queryFn: () => fetchVideo(filmId) });
  const [lang, setLang] = useState('');
  const [label, setLabel] = useState('');
  const [busy, setBusy] = useState(false);
  const path = (tag: string) =>
    `/api/v1/films/${encodeURIComponent(filmId)}/video/subtitles/${encodeURIComponent(tag)}`;
  const run = async (work: () => Promise<unknown>, done: string) => {
    setBusy(true);
    try {
      await work();
      await queryClient.invalidateQueries({ queryKey: key });
      notify(done, { type: 'success' });
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    } finally {
      setBusy(false);
    }
  };
  const upload = (file: File) =>
    run(async () => {
      const query = label.trim() ? `?label=${encodeURIComponent(label.trim())}` : '';
      await api(path(lang.trim()) + query, {
        method: 'PUT',
        file: new Blob([file], { type: 'text/vtt' }),
      });
      setLang('');
      setLabel('');
    }, 'kino.media.subtitles.uploaded');
  const remove = (tag: string) =>
    run(() => api(path(tag), { method: 'DELETE' }), 'kino.media.subtitles.deleted');

  if (!job) return null;
  return (
    <Section title={translate('kino.media.subtitles.title')}>
      {job.subtitles.length === 0 ? (
        <Typography color="text.secondary" data-testid="subtitles-empty">
          {translate('kino.media.subtitles.empty')}
        </Typography>
      ) : (
        <Table size="small" data-testid="subtitles">
          <TableHead>
            <TableRow>
              <TableCell>{translate('kino.media.subtitles.lang')}</TableCell>
              <TableCell>{translate('kino.media.subtitles.label')}</TableCell>
              <TableCell>{translate('kino.media.video.size')}</TableCell>
              <TableCell />
            </TableRow>
          </TableHead>
          <TableBody>
            {job.subtitles.map((s) => (
              <TableRow key={s.lang} data-testid="subtitle">
                <TableCell>{s.lang}</TableCell>
                <TableCell>{s.label}</TableCell>
                <TableCell>{humanBytes(s.bytes, translate)}</TableCell>
                <TableCell align="right">
                  <Button
                    label={translate('kino.media.subtitles.delete')}
                    color="error"
                    disabled={busy}
                    onClick={() => void remove(s.lang)}
                  >
                    <DeleteIcon />
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <Stack direction="row" spacing={1} sx={{ mt: 2 }} alignItems="center">
        <TextField
          size="small"
          label={translate('kino.media.subtitles.lang')}
          helperText={translate('kino.media.subtitles.lang_help')}
          value={lang}
          onChange={(e) => setLang(e.target.value)}
          inputProps={{ 'data-testid': 'subtitle-lang', maxLength: 35 }}
        />
        <TextField
          size="small"
          label={translate('kino.media.subtitles.label')}
          helperText={translate('kino.media.subtitles.label_help')}
          value={label}
          onChange={(e) => setLabel(e.target.value)}
          inputProps={{ 'data-testid': 'subtitle-label', maxLength: 100 }}
        />
        <PickButton
          label={translate('kino.media.subtitles.upload')}
          accept=".vtt,text/vtt"
          disabled={busy || !lang.trim()}
          testId="subtitle-input"
          onPick={(file) => void upload(file)}
        />
      </Stack>
    </Section>
  );
}

/** The media tab of a film's edit page. */
export function FilmMedia({ filmId }: { filmId: string }) {
  const translate = useTranslate();
  return (
    <Box sx={{ width: '100%', maxWidth: 900 }}>
      <FileSlot
        filmId={filmId}
        kind="poster"
        accept="image/png,image/jpeg,image/webp,image/gif,image/avif"
        preview={(file) => (
          <Box
            component="img"
            src={contentUrl(file.id)}
            alt={translate('kino.media.poster.title')}
            data-testid="poster-preview"
            sx={{ display: 'block', maxHeight: 320, maxWidth: '100%', mb: 1, borderRadius: 1 }}
          />
        )}
      />
      <FileSlot
        filmId={filmId}
        kind="trailer"
        accept="video/*"
        preview={(file) => (
          <Box
            component="video"
            src={contentUrl(file.id)}
            controls
            preload="metadata"
            data-testid="trailer-preview"
            sx={{ display: 'block', maxHeight: 320, maxWidth: '100%', mb: 1, borderRadius: 1 }}
          />
        )}
      />
      <FilmVideo filmId={filmId} />
      <FilmSubtitles filmId={filmId} />
    </Box>
  );
}
