"""The provider package door, `crmstages`: the same resources as a Pulumi provider package.

`pulumi-resource-crmstages` serves Pulumi's provider protocol over the same core and adapters as
the dynamic providers, so YAML, TypeScript, Go and C# programs use them and `pulumi import` works.
"""
