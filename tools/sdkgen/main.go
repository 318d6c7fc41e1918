// Command crmstages-sdkgen writes the crmstages SDKs (TypeScript, Go, Python) from a package schema.
//
// It calls the generators of github.com/pulumi/pulumi/pkg/v3/codegen directly, because
// `pulumi package gen-sdk` delegates to each language's plugin and the Node and Go plugins cannot be
// built here. The C# generator moved out of pkg/v3 into a module that is not served here (see
// docs/sdks.md), so C# is not generated.
//
//	crmstages-sdkgen -schema schema.json -out sdk [-langs nodejs,go,python]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const tool = "crmstages-sdkgen"

// generators maps each language this tool writes to the pkg/v3 generator for it.
var generators = map[string]func(*schema.Package) (map[string][]byte, error){
	"nodejs": func(pkg *schema.Package) (map[string][]byte, error) {
		return nodejs.GeneratePackage(tool, pkg, nil, nil, false, noDependencies{})
	},
	"go": func(pkg *schema.Package) (map[string][]byte, error) {
		return gogen.GeneratePackage(tool, pkg, nil)
	},
	"python": func(pkg *schema.Package) (map[string][]byte, error) {
		return python.GeneratePackage(tool, pkg, nil, noDependencies{})
	},
}

func main() {
	schemaPath := flag.String("schema", "", "the package schema (JSON) to generate from")
	outDir := flag.String("out", "sdk", "folder that receives one subfolder per language")
	langs := flag.String("langs", "nodejs,go,python", "comma-separated languages to generate")
	flag.Parse()
	if *schemaPath == "" {
		fmt.Fprintln(os.Stderr, "usage: crmstages-sdkgen -schema schema.json -out sdk [-langs nodejs,go,python]")
		os.Exit(2)
	}
	if err := run(*schemaPath, *outDir, strings.Split(*langs, ",")); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", tool, err)
		os.Exit(1)
	}
}

func run(schemaPath, outDir string, langs []string) error {
	for _, lang := range langs {
		if _, ok := generators[lang]; !ok {
			return fmt.Errorf("no generator for %q (this tool writes %s)", lang, known())
		}
	}
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	for _, lang := range langs {
		// Bind afresh per language: the generators record their own language info on the package.
		pkg, err := bind(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", schemaPath, err)
		}
		files, err := generators[lang](pkg)
		if err != nil {
			return fmt.Errorf("generating %s: %w", lang, err)
		}
		if err := replaceTree(filepath.Join(outDir, lang), files); err != nil {
			return err
		}
		fmt.Printf("%s: %d files in %s\n", lang, len(files), filepath.Join(outDir, lang))
	}
	return nil
}

// bind validates the schema against Pulumi's metaschema and binds it, after filling in the
// per-language package names that the schema leaves out (see withDefaults).
func bind(raw []byte) (*schema.Package, error) {
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, err
	}
	if err := withDefaults(&spec); err != nil {
		return nil, err
	}
	pkg, diags, err := schema.BindSpec(spec, noDependencies{}, schema.ValidationOptions{})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return pkg, nil
}

// withDefaults names the SDKs as this project publishes them where the schema says nothing, so the
// generators do not fall back to names under github.com/pulumi or @pulumi, which are not ours.
// A schema's own language entries win.
func withDefaults(spec *schema.PackageSpec) error {
	defaults := map[string]map[string]any{
		"nodejs": {"packageName": "@pulumi-stages/" + spec.Name},
		"go":     {"importBasePath": "github.com/pulumi-stages/pulumi-stages/sdk/go/" + spec.Name},
		"python": {"packageName": "pulumi_" + spec.Name},
	}
	if spec.Language == nil {
		spec.Language = map[string]schema.RawMessage{}
	}
	for lang, fields := range defaults {
		merged := map[string]any{}
		if own, ok := spec.Language[lang]; ok {
			if err := json.Unmarshal(own, &merged); err != nil {
				return fmt.Errorf("language.%s: %w", lang, err)
			}
		}
		for key, value := range fields {
			if _, set := merged[key]; !set {
				merged[key] = value
			}
		}
		encoded, err := json.Marshal(merged)
		if err != nil {
			return err
		}
		spec.Language[lang] = encoded
	}
	// supportPack makes the Go SDK a module of its own (a go.mod beside it) and versions every SDK
	// from the schema's version, as `pulumi package gen-sdk` does for new providers.
	if spec.Meta == nil {
		spec.Meta = &schema.MetadataSpec{}
	}
	spec.Meta.SupportPack = true
	if spec.Version == "" {
		spec.Version = "0.0.0"
	}
	return nil
}

// replaceTree makes dir hold exactly files: stale files from an earlier schema never survive.
func replaceTree(dir string, files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for name, content := range files {
		target := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func known() string {
	names := make([]string, 0, len(generators))
	for name := range generators {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// noDependencies is the loader for a schema that references no other package: crmstages depends on
// none, so any request to load one is an error that names it.
type noDependencies struct{}

var errDependency = errors.New("crmstages references no other package")

func (noDependencies) LoadPackage(name string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("%w: asked for %s", errDependency, name)
}

func (noDependencies) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, fmt.Errorf("%w: asked for %s", errDependency, d.Name)
}

func (noDependencies) LoadPackageReference(name string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, fmt.Errorf("%w: asked for %s", errDependency, name)
}

func (noDependencies) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, fmt.Errorf("%w: asked for %s", errDependency, d.Name)
}
