/** Users (ASSIGN_ROLE) and roles (CRUD_ROLE): search users, manage their roles and sessions; edit roles. */
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Box,
  Button as MuiButton,
  Card,
  CardContent,
  Chip,
  CircularProgress,
  MenuItem,
  Select,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@mui/material';
import {
  CheckboxGroupInput,
  Create,
  Datagrid,
  DateField,
  Edit,
  FunctionField,
  List,
  SearchInput,
  Show,
  SimpleForm,
  SimpleShowLayout,
  TextField,
  TextInput,
  required,
  useDataProvider,
  useLocale,
  useNotify,
  useRecordContext,
  useRefresh,
  useTranslate,
  type RaRecord,
} from 'react-admin';
import type { KinoDataProvider } from './dataProvider';

const roleCodes = (r: RaRecord): string[] =>
  ((r.roles as (string | { code: string })[] | undefined) ?? []).map((x) =>
    typeof x === 'string' ? x : x.code,
  );

export const UserList = () => (
  <List
    filters={[<SearchInput key="q" source="q" alwaysOn />]}
    perPage={25}
    sort={{ field: 'login', order: 'ASC' }}
    exporter={false}
  >
    <Datagrid rowClick="show" bulkActionButtons={false}>
      <TextField source="login" sortable={false} />
      <TextField source="email" sortable={false} />
      <TextField source="first_name" sortable={false} emptyText="—" />
      <TextField source="last_name" sortable={false} emptyText="—" />
      <DateField source="created_at" showTime sortable={false} />
    </Datagrid>
  </List>
);

function UserRoles() {
  const record = useRecordContext();
  const dataProvider = useDataProvider<KinoDataProvider>();
  const translate = useTranslate();
  const notify = useNotify();
  const refresh = useRefresh();
  const [choice, setChoice] = useState('');
  const roles = useQuery({
    queryKey: ['roles', 'all'],
    queryFn: () =>
      dataProvider.getList('roles', {
        pagination: { page: 1, perPage: 1000 },
        sort: { field: 'code', order: 'ASC' },
        filter: {},
      }),
  });
  const act = useMutation({
    mutationFn: ({ kind, code }: { kind: 'assign' | 'revoke'; code: string }) =>
      kind === 'assign'
        ? dataProvider.assignRole(record!.id, code)
        : dataProvider.revokeRole(record!.id, code),
    onSuccess: (_r, { kind, code }) => {
      notify(kind === 'assign' ? 'kino.users.role_assigned' : 'kino.users.role_revoked', {
        messageArgs: { role: code },
      });
      setChoice('');
      refresh();
    },
    onError: (error) => notify((error as Error).message, { type: 'error' }),
  });
  if (!record) return null;
  const current = roleCodes(record);
  const available = (roles.data?.data ?? []).map((r) => String(r.code)).filter((c) => !current.includes(c));
  return (
    <Box>
      <Typography variant="subtitle2" gutterBottom>
        {translate('kino.users.roles')}
      </Typography>
      <Stack direction="row" spacing={1} sx={{ mb: 2, flexWrap: 'wrap' }}>
        {current.map((code) => (
          <Chip
            key={code}
            label={code}
            onDelete={() => act.mutate({ kind: 'revoke', code })}
            title={translate('kino.users.revoke', { role: code })}
          />
        ))}
      </Stack>
      <Stack direction="row" spacing={1} alignItems="center">
        <Select
          size="small"
          value={choice}
          displayEmpty
          onChange={(e) => setChoice(e.target.value)}
          sx={{ minWidth: 200 }}
          inputProps={{ 'aria-label': translate('kino.users.assign') }}
        >
          <MenuItem value="" disabled>
            {translate('kino.users.assign')}
          </MenuItem>
          {available.map((code) => (
            <MenuItem key={code} value={code}>
              {code}
            </MenuItem>
          ))}
        </Select>
        <MuiButton
          variant="outlined"
          disabled={!choice || act.isPending}
          onClick={() => act.mutate({ kind: 'assign', code: choice })}
        >
          {translate('kino.users.assign_button')}
        </MuiButton>
      </Stack>
    </Box>
  );
}

function UserSessions() {
  const record = useRecordContext();
  const dataProvider = useDataProvider<KinoDataProvider>();
  const translate = useTranslate();
  const locale = useLocale();
  const notify = useNotify();
  const client = useQueryClient();
  const key = ['user-sessions', record?.id];
  const sessions = useQuery({
    queryKey: key,
    queryFn: () => dataProvider.userSessions(record!.id),
    enabled: Boolean(record?.id),
  });
  const end = useMutation({
    mutationFn: () => dataProvider.endUserSessions(record!.id),
    onSuccess: async () => {
      notify('kino.users.sessions_ended');
      await client.invalidateQueries({ queryKey: key });
    },
    onError: (error) => notify((error as Error).message, { type: 'error' }),
  });
  const when = (v: unknown) => (typeof v === 'string' ? new Date(v).toLocaleString(locale) : '—');
  return (
    <Box>
      <Stack direction="row" justifyContent="space-between" alignItems="center" sx={{ mb: 1 }}>
        <Typography variant="subtitle2">{translate('kino.users.sessions')}</Typography>
        <MuiButton
          color="error"
          variant="outlined"
          size="small"
          disabled={end.isPending || !sessions.data?.length}
          onClick={() => end.mutate()}
        >
          {translate('kino.users.end_sessions')}
        </MuiButton>
      </Stack>
      {sessions.isPending ? (
        <CircularProgress size={20} />
      ) : sessions.error ? (
        <Alert severity="error">{(sessions.error as Error).message}</Alert>
      ) : !sessions.data?.length ? (
        <Typography color="text.secondary">{translate('kino.users.no_sessions')}</Typography>
      ) : (
        <Table size="small">
          <TableHead>
            <TableRow>
              <TableCell>IP</TableCell>
              <TableCell>User agent</TableCell>
              <TableCell>{translate('kino.users.session_created')}</TableCell>
              <TableCell>{translate('kino.users.session_last_used')}</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {sessions.data.map((s) => (
              <TableRow key={s.id}>
                <TableCell>{s.ip ?? '—'}</TableCell>
                <TableCell sx={{ maxWidth: 360, overflowWrap: 'anywhere' }}>{s.user_agent ?? '—'}</TableCell>
                <TableCell>{when(s.created_at ?? s.created)}</TableCell>
                <TableCell>{when(s.last_used_at ?? s.last_used)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Box>
  );
}

export const UserShow = () => (
  <Show>
    <SimpleShowLayout>
      <TextField source="login" />
      <TextField source="email" />
      <TextField source="first_name" emptyText="—" />
      <TextField source="last_name" emptyText="—" />
      <DateField source="created_at" showTime />
    </SimpleShowLayout>
    <Card variant="outlined" sx={{ m: 2 }}>
      <CardContent sx={{ display: 'flex', flexDirection: 'column', gap: 3 }}>
        <UserRoles />
        <UserSessions />
      </CardContent>
    </Card>
  </Show>
);

function PermissionsInput() {
  const dataProvider = useDataProvider<KinoDataProvider>();
  const perms = useQuery({ queryKey: ['permissions'], queryFn: () => dataProvider.permissions() });
  if (perms.isPending) return <CircularProgress size={20} />;
  return (
    <CheckboxGroupInput
      source="permissions"
      row={false}
      choices={(perms.data ?? []).map((p) => ({
        id: p.code,
        name: p.description ? `${p.code} — ${p.description}` : p.code,
      }))}
    />
  );
}

export const RoleList = () => (
  <List
    filters={[<SearchInput key="q" source="q" alwaysOn />]}
    perPage={25}
    exporter={false}
    sort={{ field: 'code', order: 'ASC' }}
  >
    <Datagrid rowClick="edit" bulkActionButtons={false}>
      <TextField source="code" sortable={false} />
      <TextField source="description" sortable={false} />
      <FunctionField
        source="permissions"
        sortable={false}
        render={(r: RaRecord) => (
          <Stack direction="row" spacing={0.5} sx={{ flexWrap: 'wrap' }}>
            {((r.permissions as string[]) ?? []).map((p) => (
              <Chip key={p} size="small" variant="outlined" label={p} />
            ))}
          </Stack>
        )}
      />
    </Datagrid>
  </List>
);

export const RoleEdit = () => (
  <Edit mutationMode="pessimistic">
    <SimpleForm>
      <TextInput source="code" disabled />
      <TextInput source="description" fullWidth />
      <PermissionsInput />
    </SimpleForm>
  </Edit>
);

export const RoleCreate = () => (
  <Create redirect="list">
    <SimpleForm>
      <TextInput source="code" validate={required()} helperText="UPPER_SNAKE_CASE" />
      <TextInput source="description" fullWidth />
      <PermissionsInput />
    </SimpleForm>
  </Create>
);
