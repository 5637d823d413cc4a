use std::sync::OnceLock;

use super::keygen::{GeneratedKey, KeyAlgorithm, KeyGenOptions, generate};
use super::*;

fn key(user: &str, passphrase: Option<&str>) -> GeneratedKey {
    generate(&KeyGenOptions {
        user_id: user.to_string(),
        passphrase: passphrase.map(str::to_string),
        algorithm: KeyAlgorithm::Ed25519,
    })
    .unwrap()
}

/// One signer shared by the tests (key generation is the slow part).
fn alice() -> &'static (GeneratedKey, Keyring, Keyring) {
    static KEY: OnceLock<(GeneratedKey, Keyring, Keyring)> = OnceLock::new();
    KEY.get_or_init(|| {
        let k = key("Alice Signer <alice@example.com>", None);
        let secret =
            Keyring::from_bytes(&k.secret_keyring_bytes().unwrap(), Path::new("sec")).unwrap();
        let public =
            Keyring::from_bytes(&k.public_keyring_bytes().unwrap(), Path::new("pub")).unwrap();
        (k, secret, public)
    })
}

fn body(archive: &[u8]) -> ProvBody {
    ProvBody::for_archive(
        "apiVersion: v2\nname: demo\nversion: 0.1.0\n".to_string(),
        "demo-0.1.0.tgz",
        archive,
    )
}

#[test]
fn sign_then_verify_round_trip() {
    let (k, secret, public) = alice();
    let prov = sign(&body(b"archive"), secret, "Alice", None).unwrap();
    assert!(
        prov.starts_with("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\napiVersion: v2\n")
    );
    assert!(prov.contains("\n...\nfiles:\n  demo-0.1.0.tgz: sha256:"));
    let verified = verify(&prov, public).unwrap();
    assert_eq!(verified.signer, "Alice Signer <alice@example.com>");
    assert_eq!(verified.fingerprint, k.fingerprint());
    assert_eq!(verified.body, body(b"archive"));
    // A secret keyring verifies too.
    verify(&prov, secret).unwrap();
    // Signing by fingerprint selects the same key.
    let by_fp = sign(&body(b"archive"), secret, &k.fingerprint()[24..], None).unwrap();
    verify(&by_fp, public).unwrap();
}

#[test]
fn rsa_keys_sign_and_verify() {
    let k = generate(&KeyGenOptions {
        user_id: "Rsa <rsa@example.com>".into(),
        passphrase: Some("s3cret".into()),
        algorithm: KeyAlgorithm::Rsa2048,
    })
    .unwrap();
    let secret = Keyring::from_bytes(&k.secret_keyring_bytes().unwrap(), Path::new("s")).unwrap();
    let armored = k.armored_public_key().unwrap();
    let public = Keyring::from_bytes(armored.as_bytes(), Path::new("p.asc")).unwrap();
    let err = sign(&body(b"x"), &secret, "Rsa", None).unwrap_err();
    assert!(matches!(err, ProvenanceError::Passphrase { .. }), "{err}");
    let err = sign(&body(b"x"), &secret, "Rsa", Some("wrong")).unwrap_err();
    assert!(err.to_string().contains("wrong passphrase"), "{err}");
    let prov = sign(&body(b"x"), &secret, "rsa@example.com", Some("s3cret")).unwrap();
    assert_eq!(verify(&prov, &public).unwrap().fingerprint, k.fingerprint());
}

#[test]
fn tampered_body_is_refused() {
    let (_, secret, public) = alice();
    let prov = sign(&body(b"archive"), secret, "Alice", None).unwrap();
    let tampered = prov.replace("version: 0.1.0", "version: 0.1.1");
    assert_ne!(tampered, prov);
    let err = verify(&tampered, public).unwrap_err();
    assert!(matches!(err, ProvenanceError::BadSignature { .. }), "{err}");
    let digest = sha256_digest(b"archive");
    let tampered = prov.replace(&digest, &sha256_digest(b"other"));
    let err = verify(&tampered, public).unwrap_err();
    assert!(matches!(err, ProvenanceError::BadSignature { .. }), "{err}");
}

#[test]
fn wrong_key_is_an_unknown_signer() {
    let (_, secret, _) = alice();
    let prov = sign(&body(b"archive"), secret, "Alice", None).unwrap();
    let bob = key("Bob <bob@example.com>", None);
    let bob_ring =
        Keyring::from_bytes(&bob.public_keyring_bytes().unwrap(), Path::new("bob")).unwrap();
    let err = verify(&prov, &bob_ring).unwrap_err();
    assert!(
        matches!(err, ProvenanceError::UnknownSigner { .. }),
        "{err}"
    );
    // Bob's key cannot sign in Alice's name, and a public keyring cannot sign at all.
    let err = sign(&body(b"a"), &bob_ring, "Alice", None).unwrap_err();
    assert!(matches!(err, ProvenanceError::KeyNotFound { .. }), "{err}");
    let err = sign(&body(b"a"), &bob_ring, "Bob", None).unwrap_err();
    assert!(matches!(err, ProvenanceError::NoSecretKey { .. }), "{err}");
}

#[test]
fn archive_digest_is_checked() {
    let (_, secret, public) = alice();
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("demo-0.1.0.tgz");
    std::fs::write(&archive, b"archive").unwrap();
    let prov = prov_path(&archive);
    let err = verify_archive(&archive, &prov, public).unwrap_err();
    assert!(
        matches!(err, ProvenanceError::MissingProvenance { .. }),
        "{err}"
    );
    std::fs::write(
        &prov,
        sign(&body(b"archive"), secret, "Alice", None).unwrap(),
    )
    .unwrap();
    verify_archive(&archive, &prov, public).unwrap();

    std::fs::write(&archive, b"archive, modified").unwrap();
    let err = verify_archive(&archive, &prov, public).unwrap_err();
    assert!(
        matches!(err, ProvenanceError::DigestMismatch { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("demo-0.1.0.tgz"), "{err}");

    let renamed = tmp.path().join("other-0.1.0.tgz");
    std::fs::write(&renamed, b"archive").unwrap();
    let err = verify_archive(&renamed, &prov, public).unwrap_err();
    assert!(matches!(err, ProvenanceError::NotListed { .. }), "{err}");
}

#[test]
fn keyrings_concatenate_and_reject_garbage() {
    let (a, _, _) = alice();
    let b = key("Bob <bob@example.com>", None);
    let mut bytes = a.public_keyring_bytes().unwrap();
    bytes.extend(b.secret_keyring_bytes().unwrap());
    let ring = Keyring::from_bytes(&bytes, Path::new("both")).unwrap();
    let keys = ring.keys();
    assert_eq!(keys.len(), 2);
    assert!(!keys[0].has_secret && keys[1].has_secret);
    assert_eq!(keys[1].user_ids, vec!["Bob <bob@example.com>".to_string()]);
    let err = Keyring::from_bytes(b"not a keyring", Path::new("junk")).unwrap_err();
    assert!(
        err.to_string().starts_with("junk: not an OpenPGP keyring"),
        "{err}"
    );
    let err = Keyring::load(Path::new("/nonexistent/pubring.gpg")).unwrap_err();
    assert!(matches!(err, ProvenanceError::Io { .. }), "{err}");
}

#[test]
fn garbage_provenance_is_malformed() {
    let (_, _, public) = alice();
    let err = verify("hello", public).unwrap_err();
    assert!(matches!(err, ProvenanceError::Malformed { .. }), "{err}");
}
