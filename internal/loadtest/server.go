package loadtest

import (
	"context"
	"fmt"
	"io"
	"os"

	"civicgrid/internal/app"
)

// demoServer is what every load command posts to: the real server,
// in-process, on a fresh SQLite database with the demo data in a temporary
// directory, listening on loopback.
type demoServer struct {
	*app.Main
	dir    string
	stop   context.CancelFunc
	served chan error
}

// startDemo opens and serves it; the caller must Close it.
func startDemo(ctx context.Context, out io.Writer, name string) (*demoServer, error) {
	dir, err := os.MkdirTemp("", "civicgrid-"+name+"-")
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "loading demo data into %s …\n", dir)
	s := &demoServer{Main: app.NewMain(app.Config{DataDir: dir, Demo: true, Addr: "127.0.0.1:0", Out: io.Discard}), dir: dir}
	if err := s.Open(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.Listen(); err != nil {
		s.Close()
		return nil, err
	}
	sctx, stop := context.WithCancel(ctx)
	s.stop, s.served = stop, make(chan error, 1)
	go func() { s.served <- s.Serve(sctx) }()
	return s, nil
}

// Stop shuts the server down gracefully; the database stays open.
func (s *demoServer) Stop() {
	if s.stop != nil {
		s.stop()
		<-s.served
		s.stop = nil
	}
}

// Close stops the server, closes the database and removes the directory.
func (s *demoServer) Close() {
	s.Stop()
	s.Main.Close()
	os.RemoveAll(s.dir)
}
