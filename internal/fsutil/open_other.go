//go:build !unix

package fsutil

import "os"

// openNonBlocking opens path read-only. Systems other than Unix have no
// named pipes in the file system that could block an open.
func openNonBlocking(path string) (*os.File, error) { return os.Open(path) }

func clearNonBlocking(*os.File) error { return nil }
