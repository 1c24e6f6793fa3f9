//! The standard library's rules, each with samples that must pass and samples that must fail (std/types,
//! std/aws, std/azure, std/gcp). Each sample is bound to the type in a real program, so this goes through the same
//! parser, module loading and checker as users' files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

/// (module, type, valid samples, invalid samples); samples are tuskc expressions.
const RULES: &[(&str, &str, &[&str], &[&str])] = &[
    ("std/types", "Port", &["1", "8080", "65535", "@env(\"P\", \"443\")"], &["0", "65536", "-1", "\"80\"", "80.5"]),
    ("std/types", "UnprivilegedPort", &["1024", "65535"], &["80", "1023"]),
    ("std/types", "Hostname", &["\"db\"", "\"db-1.internal\"", "\"a.b.example.com\""], &["\"-db\"", "\"db_1\"", "\"a..b\"", "\"\"", "\"db.\\u{2603}\""]),
    ("std/types", "Host", &["\"db.internal\"", "\"10.0.0.1\"", "\"::1\""], &["\"not a host\""]),
    ("std/types", "Url", &["\"https://example.com\"", "\"postgres://u@db:5432/x\"", "\"s3://bucket/key\""], &["\"example.com\"", "\"https://\"", "\"http://a b\""]),
    ("std/types", "HttpUrl", &["\"http://x.io\"", "\"https://x.io/a?b=1\""], &["\"ftp://x.io\"", "\"s3://b\""]),
    ("std/types", "Email", &["\"ops@example.com\"", "\"a.b+c@mail.example.org\""], &["\"ops\"", "\"ops@localhost\"", "\"@example.com\"", "\"a b@example.com\""]),
    ("std/types", "IPv4", &["\"10.0.0.1\"", "\"255.255.255.255\""], &["\"256.0.0.1\"", "\"10.0.0\"", "\"::1\""]),
    ("std/types", "IPv6", &["\"::1\"", "\"fd00::1\"", "\"2001:db8::8a2e:370:7334\""], &["\"10.0.0.1\"", "\"1::2::3\""]),
    ("std/types", "IP", &["\"10.0.0.1\"", "\"::1\""], &["\"localhost\""]),
    ("std/types", "Cidr", &["\"10.0.0.0/16\"", "\"0.0.0.0/0\"", "\"fd00::/8\""], &["\"10.0.0.0/33\"", "\"10.0.0.0\"", "\"fd00::/129\"", "\"x/8\""]),
    ("std/types", "Semver", &["\"1.2.3\"", "\"0.0.1-rc.1\"", "\"2.0.0+build.5\""], &["\"1.2\"", "\"01.2.3\"", "\"v1.2.3\""]),
    ("std/types", "Duration", &["\"30s\"", "\"250ms\"", "\"1h30m\"", "\"2d\""], &["\"30\"", "\"thirty seconds\"", "\"1y\"", "\"\""]),
    ("std/types", "ByteSize", &["\"512MiB\"", "\"10GB\"", "\"4096\"", "\"1.5 GiB\""], &["\"lots\"", "\"10 XB\""]),
    ("std/types", "Uuid", &["\"123e4567-e89b-12d3-a456-426614174000\""], &["\"123e4567\"", "\"123e4567-e89b-12d3-a456-42661417400g\""]),
    ("std/types", "LogLevel", &["\"debug\"", "\"error\""], &["\"verbose\"", "\"DEBUG\""]),
    ("std/types", "Ratio", &["0", "0.5", "1"], &["1.5", "-0.1"]),
    ("std/types", "Percent", &["0", "99.5", "100"], &["101"]),
    ("std/types", "NonEmptyString", &["\"x\""], &["\"\""]),
    ("std/types", "DnsLabel", &["\"api\"", "\"api-2\""], &["\"Api\"", "\"-api\"", "\"api-\"", "\"a_b\""]),
    ("std/types", "EnvVarName", &["\"PATH\"", "\"_X1\""], &["\"1X\"", "\"A-B\""]),
    ("std/types", "EnvironmentName", &["\"production\"", "\"staging\""], &["\"prod\""]),
    // AWS
    ("std/aws", "AwsRegion", &["\"us-east-1\"", "\"eu-west-3\"", "\"ap-southeast-5\"", "\"us-gov-west-1\""], &["\"us-esat-1\"", "\"eu-west-9\"", "\"useast1\""]),
    ("std/aws", "AwsAvailabilityZone", &["\"eu-west-1a\"", "\"us-gov-east-1b\""], &["\"eu-west-1\"", "\"euwest1a\""]),
    ("std/aws", "AwsAccountId", &["\"123456789012\""], &["\"12345678901\"", "\"12345678901a\""]),
    ("std/aws", "S3BucketName", &["\"acme-shop-production\"", "\"my.bucket.name\"", "\"abc\""], &["\"ab\"", "\"Acme\"", "\"my_bucket\"", "\"my..bucket\"", "\"192.168.5.4\"", "\"xn--bucket\"", "\"bucket-s3alias\"", "\"-bucket\"", "\"bucket-\"", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""]),
    ("std/aws", "AwsInstanceType", &["\"t3.micro\"", "\"m7g.2xlarge\"", "\"i4i.metal\"", "\"u-6tb1.112xlarge\"", "\"c7gn.metal-48xl\""], &["\"t3\"", "\"t3.huge\"", "\"T3.micro\"", "\"micro\""]),
    ("std/aws", "AwsTagKey", &["\"team\"", "\"cost center\"", "\"app:tier/name\""], &["\"\"", "\"aws:createdBy\"", "\"AWS:x\"", "\"bad#char\""]),
    ("std/aws", "AwsTagValue", &["\"\"", "\"payments\""], &["\"bad#char\""]),
    ("std/aws", "AwsTags", &["{ team: \"payments\" }"], &["{ \"aws:x\": \"y\" }"]),
    ("std/aws", "AwsArn", &["\"arn:aws:s3:::acme-shop\"", "\"arn:aws:iam::123456789012:role/deploy\"", "\"arn:aws:lambda:eu-west-1:123456789012:function:f\""], &["\"arn:aws:s3\"", "\"arn:gcp:s3:::x\"", "\"s3://x\""]),
    ("std/aws", "AwsRoleArn", &["\"arn:aws:iam::123456789012:role/deploy\""], &["\"arn:aws:iam::123456789012:user/bob\""]),
    // Azure
    ("std/azure", "AzureLocation", &["\"westeurope\"", "\"eastus2\""], &["\"west-europe\"", "\"westeurop\"", "\"us-east-1\""]),
    ("std/azure", "AzureStorageAccountName", &["\"acmeshop\"", "\"abc\""], &["\"ab\"", "\"acme-shop\"", "\"AcmeShop\"", "\"abcdefghijklmnopqrstuvwxy\""]),
    ("std/azure", "AzureContainerName", &["\"shop-production\"", "\"abc\""], &["\"ab\"", "\"shop--prod\"", "\"-shop\"", "\"Shop\""]),
    ("std/azure", "AzureResourceGroupName", &["\"shop-rg\"", "\"rg_(1).x\""], &["\"rg.\"", "\"\"", "\"a/b\""]),
    ("std/azure", "AzureVmSize", &["\"Standard_D2s_v5\"", "\"Standard_B1ms\"", "\"Basic_A0\""], &["\"D2s_v5\"", "\"standard_d2s_v5\""]),
    ("std/azure", "AzureSubscriptionId", &["\"0b1f6471-1bf0-4dda-aec3-cb9272f09590\""], &["\"sub-1\""]),
    ("std/azure", "AzureTagName", &["\"team\"", "\"cost center\""], &["\"a/b\"", "\"a?b\"", "\"a<b\"", "\"\""]),
    ("std/azure", "AzureTagValue", &["\"\"", "\"payments\""], &["\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""]),
    ("std/azure", "AzureTags", &["{ team: \"payments\" }"], &["{ \"a%b\": \"x\" }"]),
    ("std/azure", "AzureResourceId", &["\"/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/shop-rg/providers/Microsoft.Storage/storageAccounts/acmeshop\""], &["\"/subscriptions/x/resourceGroups/rg\"", "\"acmeshop\""]),
    // GCP
    ("std/gcp", "GcpRegion", &["\"us-central1\"", "\"europe-west4\""], &["\"us-central\"", "\"europe-west-4\"", "\"us-east-1\""]),
    ("std/gcp", "GcpZone", &["\"europe-west1-b\"", "\"us-central1-a\""], &["\"europe-west1\"", "\"europe-west1-z\""]),
    ("std/gcp", "GcpProjectId", &["\"acme-shop\"", "\"my-project-123\""], &["\"acme\"", "\"1acme-shop\"", "\"acme-shop-\"", "\"Acme-Shop\""]),
    ("std/gcp", "GcsBucketName", &["\"acme-shop-production\"", "\"acme_shop\"", "\"a.b.c\""], &["\"ab\"", "\"goog-bucket\"", "\"my-google-bucket\"", "\"Acme\"", "\"10.0.0.1\"", "\"-acme\""]),
    ("std/gcp", "GcpMachineType", &["\"e2-medium\"", "\"n2-standard-8\"", "\"n1-custom-4-5120\"", "\"c3-highcpu-22-lssd\""], &["\"medium\"", "\"n2-standard\u{2603}\"", "\"N2-standard-8\"", "\"t3.micro\""]),
    ("std/gcp", "GcpLabelKey", &["\"team\"", "\"cost_center-1\""], &["\"Team\"", "\"1team\"", "\"\""]),
    ("std/gcp", "GcpLabelValue", &["\"\"", "\"payments\""], &["\"Payments\"", "\"a.b\""]),
    ("std/gcp", "GcpLabels", &["{ team: \"payments\" }"], &["{ Team: \"payments\" }"]),
    ("std/gcp", "GcpResourceName", &["\"projects/acme-shop/topics/orders\"", "\"//pubsub.googleapis.com/projects/acme-shop/topics/orders\""], &["\"topics/orders\"", "\"projects/x/topics/y\""]),
    ("std/gcp", "GcpServiceAccount", &["\"deploy-bot@acme-shop.iam.gserviceaccount.com\""], &["\"deploy@example.com\""]),
];

/// Compile `text` as a one-file project and return the rendered diagnostics.
fn check(dir: &std::path::Path, text: &str) -> String {
    common::compile(dir, text).1
}

#[test]
fn every_stdlib_rule_accepts_its_valid_samples_and_rejects_its_invalid_ones() {
    let dir = tempfile::tempdir().unwrap();
    for (module, ty, valid, invalid) in RULES {
        let mut text = format!("use \"{module}\"\n");
        for (i, v) in valid.iter().enumerate() {
            text.push_str(&format!("bind ok_{i}: {ty}\nok_{i}: {v}\n"));
        }
        let out = check(dir.path(), &text);
        assert!(out.is_empty(), "{ty}: a valid sample was rejected:\n{out}");
        for (i, v) in invalid.iter().enumerate() {
            let text = format!("use \"{module}\"\nbind bad: {ty}\nbad: {v}\n");
            let out = check(dir.path(), &text);
            assert!(
                out.contains("[TSK050") && out.contains("`bad"),
                "{ty}: invalid sample #{i} {v} was accepted:\n{out}"
            );
        }
    }
}

#[test]
fn every_stdlib_type_has_rules_tested() {
    // A type added to the stdlib without samples here fails this test.
    for (module, text) in tuskc::stdlib::MODULES {
        for line in text.lines() {
            let name = line
                .strip_prefix("type ")
                .or_else(|| line.strip_prefix("schema "))
                .and_then(|rest| rest.split([' ', '=']).next());
            let Some(name) = name else { continue };
            let tested = RULES.iter().any(|(m, t, ..)| m == module && *t == name);
            let object_schema = line.starts_with("schema ");
            assert!(
                tested || object_schema,
                "{module}: `{name}` has no samples in tests/stdlib.rs"
            );
        }
    }
}

#[test]
fn provider_schemas_catch_a_typo_d_region_and_a_bad_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let out = check(
        dir.path(),
        r#"use "std/aws"
use "std/gcp"
use "std/azure"
provider aws {
  [cloud: AwsProvider]
  region: "us-esat-1"
  [storage: AwsStorage]
  bucket: "My_Bucket"
  region: "us-east-1"
}
provider gcp {
  [cloud: GcpProvider]
  project: "acme-shop"
  region: "europe-west1"
  labels { Team: "x" }
}
provider azure {
  [cloud: AzureProvider]
  location: "westeurope"
  vm_size: "D2s_v5"
}
"#,
    );
    insta::assert_snapshot!(out);
}
