/** Sign-in in one or two steps: password, then (when the account has TOTP on) a code. */
import { useState, type FormEvent } from 'react';
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  CircularProgress,
  TextField,
  Typography,
} from '@mui/material';
import { LocalesMenuButton, useLogin, useTranslate } from 'react-admin';
import { mfaLogin, passwordLogin } from './authProvider';
import type { Tokens } from './http';

export function LoginPage() {
  const translate = useTranslate();
  const login = useLogin();
  const [step, setStep] = useState<{ kind: 'password' } | { kind: 'mfa'; mfa_token: string }>({
    kind: 'password',
  });
  const [form, setForm] = useState({ login: '', password: '', code: '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const message = (e: unknown) => {
    const text = e instanceof Error ? e.message : String(e);
    return text.startsWith('kino.') ? translate(text) : text;
  };

  const finish = async (tokens: Tokens) => {
    await login({ tokens });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (step.kind === 'password') {
        const next = await passwordLogin(form.login.trim(), form.password);
        if (next.kind === 'mfa') {
          setStep(next);
          setForm((f) => ({ ...f, code: '' }));
        } else await finish(next.tokens);
      } else {
        await finish(await mfaLogin(step.mfa_token, form.code.trim()));
      }
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  };

  const field = (name: keyof typeof form) => ({
    name,
    value: form[name],
    onChange: (e: { target: { value: string } }) => setForm((f) => ({ ...f, [name]: e.target.value })),
  });

  return (
    <Box
      sx={{
        minHeight: '100vh',
        display: 'flex',
        alignItems: 'center',
        justifyContent: 'center',
        bgcolor: 'grey.100',
      }}
    >
      <Card sx={{ width: 380 }} component="form" onSubmit={submit} aria-label="login">
        <CardContent sx={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
          <Box sx={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between' }}>
            <Typography variant="h6">{translate('kino.title')}</Typography>
            <LocalesMenuButton />
          </Box>
          {error && (
            <Alert severity="error" role="alert">
              {error}
            </Alert>
          )}
          {step.kind === 'password' ? (
            <>
              <TextField
                label={translate('kino.auth.login')}
                autoComplete="username"
                autoFocus
                required
                {...field('login')}
              />
              <TextField
                label={translate('kino.auth.password')}
                type="password"
                autoComplete="current-password"
                required
                {...field('password')}
              />
            </>
          ) : (
            <>
              <Typography variant="subtitle1">{translate('kino.auth.mfa_title')}</Typography>
              <Typography variant="body2" color="text.secondary">
                {translate('kino.auth.mfa_hint')}
              </Typography>
              <TextField
                label={translate('kino.auth.code')}
                autoComplete="one-time-code"
                inputMode="numeric"
                autoFocus
                required
                {...field('code')}
              />
            </>
          )}
          <Button
            type="submit"
            variant="contained"
            disabled={busy}
            startIcon={busy ? <CircularProgress size={16} /> : null}
          >
            {translate(step.kind === 'password' ? 'kino.auth.sign_in' : 'kino.auth.verify')}
          </Button>
          {step.kind === 'mfa' && (
            <Button onClick={() => setStep({ kind: 'password' })} disabled={busy}>
              {translate('kino.auth.back')}
            </Button>
          )}
        </CardContent>
      </Card>
    </Box>
  );
}
