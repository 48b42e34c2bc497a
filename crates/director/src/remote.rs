//! Object storage shared by a fleet of runners: `[store] url` (or `--store URL`)
//! opened through `object_store` — `s3://bucket/prefix`, `gs://bucket/prefix`,
//! `az://container/prefix` and `file:///path`.
//!
//! Credentials come only from each cloud's standard environment and instance
//! metadata (`AmazonS3Builder::from_env` and its siblings), never from a file in the
//! repository. Requests are retried briefly and time out quickly: the verdict cache
//! must degrade to "no cache" within seconds when the storage is down, not after
//! object_store's default three minutes of retries.

use crate::error::Error;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreScheme, RetryConfig};
use std::sync::Arc;
use std::time::Duration;

/// How long one storage request may take, retries included.
const RETRY_TIMEOUT: Duration = Duration::from_secs(5);

/// An opened object store and the prefix everything of director lives under.
#[derive(Clone)]
pub struct RemoteStore {
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    url: String,
}

impl std::fmt::Debug for RemoteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteStore")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl RemoteStore {
    /// Open `url` with credentials and settings from the environment.
    pub fn open(url: &str) -> Result<RemoteStore, Error> {
        RemoteStore::open_with(url, std::iter::empty::<(String, String)>())
    }

    /// Open `url` with credentials from the environment, then `options` on top
    /// (object_store configuration keys such as `aws_endpoint`, for embedders and
    /// tests that cannot set process environment variables).
    pub fn open_with<I, K, V>(url: &str, options: I) -> Result<RemoteStore, Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let parsed = url::Url::parse(url).map_err(|e| bad_url(url, &e.to_string()))?;
        let (scheme, prefix) =
            ObjectStoreScheme::parse(&parsed).map_err(|e| bad_url(url, &e.to_string()))?;
        // object_store's HTTP client is reqwest with rustls and no built-in provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let options: Vec<(String, String)> = options
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_ascii_lowercase(), v.into()))
            .collect();
        let store = build(url, &parsed, &scheme, &options)?;
        Ok(RemoteStore {
            store,
            prefix: if matches!(scheme, ObjectStoreScheme::Local) {
                ObjectPath::default()
            } else {
                prefix
            },
            url: url.to_string(),
        })
    }

    /// The URL as configured.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The store.
    pub(crate) fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// `rel` (`/`-separated, no leading slash) under the prefix.
    pub(crate) fn path(&self, rel: &str) -> ObjectPath {
        let mut parts: Vec<_> = self.prefix.parts().collect();
        parts.extend(
            rel.split('/')
                .filter(|p| !p.is_empty())
                .map(object_store::path::PathPart::from),
        );
        ObjectPath::from_iter(parts)
    }
}

fn build(
    url: &str,
    parsed: &url::Url,
    scheme: &ObjectStoreScheme,
    options: &[(String, String)],
) -> Result<Arc<dyn ObjectStore>, Error> {
    let retry = RetryConfig {
        max_retries: 2,
        retry_timeout: RETRY_TIMEOUT,
        ..RetryConfig::default()
    };
    // Set as configuration keys, not with `with_client_options`, which would replace
    // what `from_env` read (AWS_ALLOW_HTTP, proxies, ...).
    let options: Vec<(String, String)> = [("timeout", "10s"), ("connect_timeout", "2s")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain(options.iter().cloned())
        .collect();
    let failed = |e: object_store::Error| bad_url(url, &e.to_string());
    let store: Arc<dyn ObjectStore> = match scheme {
        ObjectStoreScheme::AmazonS3 => {
            let mut b = object_store::aws::AmazonS3Builder::from_env()
                .with_url(url)
                .with_retry(retry.clone());
            for (k, v) in &options {
                let key = k.parse().map_err(failed)?;
                b = b.with_config(key, v.clone());
            }
            Arc::new(b.build().map_err(failed)?)
        }
        ObjectStoreScheme::GoogleCloudStorage => {
            let mut b = object_store::gcp::GoogleCloudStorageBuilder::from_env()
                .with_url(url)
                .with_retry(retry.clone());
            for (k, v) in &options {
                let key = k.parse().map_err(failed)?;
                b = b.with_config(key, v.clone());
            }
            Arc::new(b.build().map_err(failed)?)
        }
        ObjectStoreScheme::MicrosoftAzure => {
            let mut b = object_store::azure::MicrosoftAzureBuilder::from_env()
                .with_url(url)
                .with_retry(retry.clone());
            for (k, v) in &options {
                let key = k.parse().map_err(failed)?;
                b = b.with_config(key, v.clone());
            }
            Arc::new(b.build().map_err(failed)?)
        }
        ObjectStoreScheme::Local => {
            let dir = parsed
                .to_file_path()
                .map_err(|()| bad_url(url, "not an absolute file path"))?;
            std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
            Arc::new(
                object_store::local::LocalFileSystem::new_with_prefix(&dir)
                    .map_err(failed)?
                    .with_automatic_cleanup(true),
            )
        }
        _ => {
            return Err(bad_url(
                url,
                "unsupported scheme (use s3://, gs://, az:// or file://)",
            ));
        }
    };
    Ok(store)
}

fn bad_url(url: &str, why: &str) -> Error {
    Error::Config {
        message: format!("store URL `{url}`: {why}"),
        hint: "e.g. [store] url = \"s3://my-bucket/director\" (credentials from the AWS_* environment), gs://bucket/prefix, az://container/prefix or file:///shared/director".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_urls_name_the_url_and_hint() {
        for url in ["not a url", "ftp://host/x", "s3://"] {
            let e = RemoteStore::open(url).unwrap_err();
            assert!(e.to_string().contains(url), "{e}");
            assert!(e.hint().unwrap().contains("s3://"));
        }
    }

    #[test]
    fn paths_live_under_the_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let url = url::Url::from_directory_path(dir.path()).unwrap();
        let s = RemoteStore::open(url.as_str()).unwrap();
        assert_eq!(s.path("cache/ab.json").as_ref(), "cache/ab.json");
        let s3 = RemoteStore::open_with(
            "s3://bucket/team/director",
            [("aws_region", "us-east-1"), ("aws_skip_signature", "true")],
        )
        .unwrap();
        let p = s3.path("records/2025/01/02/x.json");
        assert_eq!(p.as_ref(), "team/director/records/2025/01/02/x.json");
    }
}
