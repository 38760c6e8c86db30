package es_test

import (
	"fmt"

	"github.com/estally/estally/es"
)

// A synthetic stream is reproducible: tests and benchmarks fold exactly what
// `estally run --source=synthetic --synthetic.profile=scan --synthetic.seed=7`
// would.
func ExampleSynthetic_Generate() {
	s, err := es.NewSynthetic(es.SyntheticConfig{Profile: es.ProfileScan, Seed: 7, HeavyShare: 0.5, Writers: 2})
	if err != nil {
		panic(err)
	}
	s.Generate(4, func(ev *es.Event) {
		fmt.Println(ev.Seq, ev.Kind, ev.PID, string(ev.Executable), string(ev.Path), ev.Bytes)
	})
	// Output:
	// 1 close_modified 31337 /tmp/.scan/scanner /tmp/.scan/files/afb9ba40d97359e4 0
	// 2 write 20000 /usr/bin/heavy-writer-00 /var/log/heavy-00.log 65536
	// 3 close_modified 31337 /tmp/.scan/scanner /tmp/.scan/files/12c9608dec206bd9 0
	// 4 write 31337 /tmp/.scan/scanner /tmp/.scan/files/85192ecaf3d17dce 4096
}
