package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pvaudit/pvaudit/audit"
	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/internal/signing"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// keyFlags are --sign-key and --verify-key.
type keyFlags struct {
	sign, verify string
}

func (k *keyFlags) register(fs *pflag.FlagSet, sign, verify bool) {
	if sign {
		fs.StringVar(&k.sign, "sign-key", "", "sign the baseline with this Ed25519 private key (PEM PKCS#8; see pvaudit baseline keygen)")
	}
	if verify {
		fs.StringVar(&k.verify, "verify-key", "", "refuse the baseline unless this Ed25519 public key (PEM PKIX) signed it")
	}
}

func (k *keyFlags) signKey() (ed25519.PrivateKey, error) {
	if k.sign == "" {
		return nil, nil
	}
	key, err := audit.ReadSignKey(k.sign)
	if err != nil {
		return nil, usageErr("--sign-key: %w", err)
	}
	return key, nil
}

func (k *keyFlags) verifyKey() (ed25519.PublicKey, error) {
	if k.verify == "" {
		return nil, nil
	}
	key, err := audit.ReadVerifyKey(k.verify)
	if err != nil {
		return nil, usageErr("--verify-key: %w", err)
	}
	return key, nil
}

func newBaselineKeygenCmd(a *app) *cobra.Command {
	var priv, pub string
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Make an Ed25519 key pair for signing baselines (PEM; openssl reads and writes the same)",
		Long: `keygen writes an Ed25519 private key (PEM PKCS#8, mode 0600) and its public key
(PEM PKIX). openssl makes the same files:
  openssl genpkey -algorithm ed25519 -out baseline.key
  openssl pkey -in baseline.key -pubout -out baseline.pub`,
		Example: `  pvaudit baseline keygen --private-key baseline.key --public-key baseline.pub`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if priv == "" || pub == "" {
				return usageErr("--private-key FILE and --public-key FILE are required")
			}
			if !force {
				for _, p := range []string{priv, pub} {
					if _, err := os.Lstat(p); err == nil {
						return usageErr("%s exists; pass --force to replace it", p)
					} else if !errors.Is(err, os.ErrNotExist) {
						return err
					}
				}
			}
			privPEM, pubPEM, err := signing.GenerateKey(nil)
			if err != nil {
				return err
			}
			if err := fsutil.WriteFileAtomic(priv, 0o600, func(w io.Writer) error { _, err := w.Write(privPEM); return err }); err != nil {
				return err
			}
			if err := fsutil.WriteFileAtomic(pub, 0o644, func(w io.Writer) error { _, err := w.Write(pubPEM); return err }); err != nil {
				return err
			}
			k, err := signing.ParsePublicKey(pubPEM)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.stdout, "wrote %s (private, mode 0600) and %s (public); key %s\n", priv, pub, signing.KeyID(k))
			return err
		},
	}
	cmd.Flags().StringVar(&priv, "private-key", "", "write the private key to `FILE` (mode 0600)")
	cmd.Flags().StringVar(&pub, "public-key", "", "write the public key to `FILE`")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing key files")
	return cmd
}
