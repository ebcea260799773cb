/** The change log of one object: who changed what and when, with before/after values. */
import { useQuery } from '@tanstack/react-query';
import {
  Alert,
  Box,
  Chip,
  CircularProgress,
  Paper,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@mui/material';
import { useDataProvider, useLocale, useRecordContext, useTranslate } from 'react-admin';
import type { Entity, KinoDataProvider } from './dataProvider';

/** A readable value: related objects by name (and role), not by id. */
const show = (value: unknown): string => {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.length ? value.map(show).join(', ') : '—';
  if (typeof value === 'object') {
    const o = value as { name?: string; full_name?: string; role?: string };
    const label = o.name ?? o.full_name;
    if (label) return o.role ? `${label} (${o.role})` : label;
    return JSON.stringify(value);
  }
  return String(value);
};

export function History({ entity }: { entity: Entity }) {
  const record = useRecordContext();
  const dataProvider = useDataProvider<KinoDataProvider>();
  const translate = useTranslate();
  const locale = useLocale();
  const { data, error, isPending } = useQuery({
    queryKey: ['history', entity, record?.id, record?.version],
    queryFn: () => dataProvider.history(entity, record!.id),
    enabled: Boolean(record?.id),
  });
  if (isPending) return <CircularProgress size={24} />;
  if (error) return <Alert severity="error">{(error as Error).message}</Alert>;
  if (!data?.length) return <Typography color="text.secondary">{translate('kino.history.empty')}</Typography>;
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 2, width: '100%' }} data-testid="history">
      {data.map((entry) => (
        <Paper key={entry.id} variant="outlined" sx={{ p: 1.5 }} data-testid="history-entry">
          <Box sx={{ display: 'flex', gap: 1, alignItems: 'center', mb: 1 }}>
            <Chip
              size="small"
              color={entry.action === 'create' ? 'success' : entry.action === 'delete' ? 'error' : 'info'}
              label={translate(`kino.history.${entry.action}`)}
            />
            <Typography variant="body2">{new Date(entry.at).toLocaleString(locale)}</Typography>
            <Typography variant="body2" color="text.secondary">
              {translate('kino.history.by', { who: entry.actor_login ?? translate('kino.history.system') })}
            </Typography>
          </Box>
          {Object.keys(entry.diff).length > 0 && (
            <Table size="small">
              <TableHead>
                <TableRow>
                  <TableCell>{translate('kino.history.field')}</TableCell>
                  <TableCell>{translate('kino.history.before')}</TableCell>
                  <TableCell>{translate('kino.history.after')}</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {Object.entries(entry.diff).map(([field, change]) => (
                  <TableRow key={field}>
                    <TableCell>{translate(`resources.${entity}s.fields.${field}`, { _: field })}</TableCell>
                    <TableCell sx={{ color: 'text.secondary', maxWidth: 360, overflowWrap: 'anywhere' }}>
                      {show(change.before)}
                    </TableCell>
                    <TableCell sx={{ maxWidth: 360, overflowWrap: 'anywhere' }}>
                      {show(change.after)}
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </Paper>
      ))}
    </Box>
  );
}
