//! Sprig's crypto helpers: private keys and X.509 certificates (`genPrivateKey`, `genCA*`,
//! `genSelfSignedCert*`, `genSignedCert*`, `buildCustomCert`), AES-CBC `encryptAES`/`decryptAES` and
//! the Master Password `derivePassword`.

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::NoPadding};
use base64::Engine as _;
use hmac::Mac as _;
use rand::Rng as _;

use std::sync::Arc;

use rudder_gotmpl::{ArgType, FuncError, Object, Value};

use crate::cast::{list_items, strval};
use crate::{Reg, add, arg_int, arg_str};

use ArgType::{Any, Int, List, String as Str};

type Enc = cbc::Encryptor<aes::Aes256>;
type Dec = cbc::Decryptor<aes::Aes256>;

fn key32(password: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    for (k, b) in key.iter_mut().zip(password.bytes()) {
        *k = b;
    }
    key
}

/// Sprig's `encryptAES`: AES-256-CBC with the password zero-padded to 32 bytes, PKCS#7 padding and a
/// random IV prepended, base64-encoded.
pub(crate) fn encrypt_aes(password: &str, plaintext: &str) -> String {
    let mut content = plaintext.as_bytes().to_vec();
    let pad = 16 - content.len() % 16;
    content.extend(std::iter::repeat_n(pad as u8, pad));
    let mut iv = [0u8; 16];
    rand::rng().fill(&mut iv);
    let len = content.len();
    let enc = Enc::new(&key32(password).into(), &iv.into());
    let ct = enc
        .encrypt_padded_mut::<NoPadding>(&mut content, len)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let mut out = iv.to_vec();
    out.extend(ct);
    base64::engine::general_purpose::STANDARD.encode(out)
}

/// Sprig's `decryptAES`.
pub(crate) fn decrypt_aes(password: &str, crypt64: &str) -> Result<String, String> {
    let data = base64::engine::general_purpose::STANDARD
        .decode(crypt64)
        .map_err(|e| {
            format!(
                "illegal base64 data at input byte {}",
                match e {
                    base64::DecodeError::InvalidByte(p, _) => p,
                    _ => crypt64.len(),
                }
            )
        })?;
    if data.len() < 16 {
        // Sprig slices `crypt[:aes.BlockSize]` without a check, so Go panics.
        return Err(format!(
            "runtime error: slice bounds out of range [:16] with capacity {}",
            data.len()
        ));
    }
    let (iv, body) = data.split_at(16);
    if body.len() % 16 != 0 {
        return Err("crypto/cipher: input not full blocks".into());
    }
    let mut buf = body.to_vec();
    let dec = Dec::new(&key32(password).into(), iv.into());
    let plain = dec
        .decrypt_padded_mut::<NoPadding>(&mut buf)
        .map_err(|_| "crypto/cipher: input not full blocks".to_string())?;
    let n = plain.len();
    let unpad = plain.last().map_or(0, |b| *b as usize);
    if unpad > n {
        return Err(format!(
            "runtime error: slice bounds out of range [:{}]",
            n as i64 - unpad as i64
        ));
    }
    Ok(String::from_utf8_lossy(&plain[..n - unpad]).into_owned())
}

fn templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

fn template_chars(c: char) -> &'static str {
    match c {
        'V' => "AEIOU",
        'C' => "BCDFGHJKLMNPQRSTVWXYZ",
        'v' => "aeiou",
        'c' => "bcdfghjklmnpqrstvwxyz",
        'A' => "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        'a' => "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        'n' => "0123456789",
        'o' => "@&%?,=[]_:-+*$#!'^~;()/.",
        'x' => "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
        _ => "",
    }
}

/// Sprig's `derivePassword` (the Master Password algorithm: scrypt key, HMAC-SHA256 seed, template).
pub(crate) fn derive_password(
    counter: u32,
    kind: &str,
    password: &str,
    user: &str,
    site: &str,
) -> String {
    const SEED: &str = "com.lyndir.masterpassword";
    let Some(tpls) = templates(kind) else {
        return format!("cannot find password template {kind}");
    };
    let mut salt = SEED.as_bytes().to_vec();
    salt.extend((user.len() as u32).to_be_bytes());
    salt.extend(user.as_bytes());
    let mut key = [0u8; 64];
    let params = match scrypt::Params::new(15, 8, 2, 64) {
        Ok(p) => p,
        Err(e) => return format!("failed to derive password: {e}"),
    };
    if let Err(e) = scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key) {
        return format!("failed to derive password: {e}");
    }
    let mut msg = SEED.as_bytes().to_vec();
    msg.extend((site.len() as u32).to_be_bytes());
    msg.extend(site.as_bytes());
    msg.extend(counter.to_be_bytes());
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key) else {
        return "failed to derive password".into();
    };
    mac.update(&msg);
    let seed = mac.finalize().into_bytes();
    let tpl = tpls[seed[0] as usize % tpls.len()];
    tpl.chars()
        .enumerate()
        .map(|(i, c)| {
            let chars = template_chars(c).as_bytes();
            chars[seed[i + 1] as usize % chars.len()] as char
        })
        .collect()
}

/// A private key of one of the kinds Sprig generates.
enum PrivKey {
    Rsa(Box<rsa::RsaPrivateKey>),
    Ec(p256::SecretKey),
    Ed(Vec<u8>),
    Dsa(Box<dsa::SigningKey>),
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + 11..];
    let label_end = rest.find("-----")?;
    let label = rest[..label_end].to_string();
    let body_start = label_end + 5;
    let end = rest.find(&format!("-----END {label}-----"))?;
    let body: String = rest[body_start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()?;
    Some((label, der))
}

fn der_len(out: &mut Vec<u8>, n: usize) {
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
}

fn der_uint(out: &mut Vec<u8>, be: &[u8]) {
    let mut v: Vec<u8> = be.iter().copied().skip_while(|b| *b == 0).collect();
    if v.is_empty() || v[0] & 0x80 != 0 {
        v.insert(0, 0);
    }
    out.push(0x02);
    der_len(out, v.len());
    out.extend(v);
}

type CryptoResult<T> = Result<T, String>;

impl PrivKey {
    fn generate(kind: &str) -> CryptoResult<Option<PrivKey>> {
        let mut rng = rand_core::OsRng;
        Ok(Some(match kind {
            "rsa" => PrivKey::Rsa(Box::new(
                rsa::RsaPrivateKey::new(&mut rng, 4096).map_err(|e| e.to_string())?,
            )),
            "ecdsa" => PrivKey::Ec(p256::SecretKey::random(&mut rng)),
            "ed25519" => {
                let rng = ring::rand::SystemRandom::new();
                let doc = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng)
                    .map_err(|e| e.to_string())?;
                PrivKey::Ed(doc.as_ref().to_vec())
            }
            "dsa" => {
                let comps = dsa::Components::generate(&mut rng, dsa::KeySize::DSA_2048_256);
                PrivKey::Dsa(Box::new(dsa::SigningKey::generate(&mut rng, comps)))
            }
            _ => return Ok(None),
        }))
    }

    fn rsa2048() -> CryptoResult<PrivKey> {
        rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048)
            .map(|k| PrivKey::Rsa(Box::new(k)))
            .map_err(|e| e.to_string())
    }

    /// The PEM block Sprig's `pemBlockForKey` writes.
    fn pem(&self) -> CryptoResult<String> {
        use rsa::pkcs1::EncodeRsaPrivateKey as _;
        Ok(match self {
            PrivKey::Rsa(k) => pem_encode(
                "RSA PRIVATE KEY",
                k.to_pkcs1_der().map_err(|e| e.to_string())?.as_bytes(),
            ),
            PrivKey::Ec(k) => pem_encode(
                "EC PRIVATE KEY",
                &k.to_sec1_der().map_err(|e| e.to_string())?,
            ),
            PrivKey::Ed(der) => pem_encode("PRIVATE KEY", der),
            PrivKey::Dsa(k) => {
                let c = k.verifying_key().components();
                let mut body = Vec::new();
                der_uint(&mut body, &[0]);
                for n in [c.p(), c.q(), c.g(), k.verifying_key().y(), k.x()] {
                    der_uint(&mut body, &n.to_bytes_be());
                }
                let mut der = vec![0x30];
                der_len(&mut der, body.len());
                der.extend(body);
                pem_encode("DSA PRIVATE KEY", &der)
            }
        })
    }

    fn parse(text: &str) -> CryptoResult<PrivKey> {
        use rsa::pkcs1::DecodeRsaPrivateKey as _;
        use rsa::pkcs8::DecodePrivateKey as _;
        let (label, der) = pem_decode(text).ok_or("no PEM data found")?;
        match label.as_str() {
            "RSA PRIVATE KEY" => rsa::RsaPrivateKey::from_pkcs1_der(&der)
                .map(|k| PrivKey::Rsa(Box::new(k)))
                .map_err(|e| e.to_string()),
            "EC PRIVATE KEY" => p256::SecretKey::from_sec1_der(&der)
                .map(PrivKey::Ec)
                .map_err(|e| e.to_string()),
            "PRIVATE KEY" => {
                if let Ok(k) = rsa::RsaPrivateKey::from_pkcs8_der(&der) {
                    return Ok(PrivKey::Rsa(Box::new(k)));
                }
                if let Ok(k) = p256::SecretKey::from_pkcs8_der(&der) {
                    return Ok(PrivKey::Ec(k));
                }
                if ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).is_ok() {
                    return Ok(PrivKey::Ed(der));
                }
                Err("x509: failed to parse private key".into())
            }
            other => Err(format!(
                "no RSA, ECDSA or Ed25519 private key found in PEM block {other}"
            )),
        }
    }

    fn key_pair(&self) -> CryptoResult<rcgen::KeyPair> {
        use rsa::pkcs8::EncodePrivateKey as _;
        let (der, alg) = match self {
            PrivKey::Rsa(k) => (
                k.to_pkcs8_der()
                    .map_err(|e| e.to_string())?
                    .as_bytes()
                    .to_vec(),
                &rcgen::PKCS_RSA_SHA256,
            ),
            PrivKey::Ec(k) => (
                k.to_pkcs8_der()
                    .map_err(|e| e.to_string())?
                    .as_bytes()
                    .to_vec(),
                &rcgen::PKCS_ECDSA_P256_SHA256,
            ),
            PrivKey::Ed(der) => (der.clone(), &rcgen::PKCS_ED25519),
            PrivKey::Dsa(_) => {
                return Err("x509: only RSA, ECDSA and Ed25519 keys supported".into());
            }
        };
        rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der.into(), alg).map_err(|e| e.to_string())
    }
}

/// Sprig's `certificate` struct (`.Cert` and `.Key`, both PEM).
#[derive(Debug)]
struct Certificate {
    cert: String,
    key: String,
}

impl Object for Certificate {
    fn type_name(&self) -> String {
        "sprig.certificate".into()
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(Value::from(self.cert.as_str())),
            "Key" => Some(Value::from(self.key.as_str())),
            _ => None,
        }
    }
    fn format(&self, plus: bool) -> String {
        if plus {
            format!("{{Cert:{} Key:{}}}", self.cert, self.key)
        } else {
            format!("{{{} {}}}", self.cert, self.key)
        }
    }
}

fn cert_value(cert: String, key: &PrivKey) -> Result<Value, FuncError> {
    let key = key.pem().map_err(FuncError::new)?;
    Ok(Value::Object(Arc::new(Certificate { cert, key })))
}

struct CertSpec<'a> {
    cn: &'a str,
    ips: &'a Value,
    dns: &'a Value,
    days: i64,
    ca: bool,
}

fn params(spec: &CertSpec<'_>) -> Result<rcgen::CertificateParams, FuncError> {
    let mut p = rcgen::CertificateParams::default();
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, spec.cn);
    p.distinguished_name = dn;
    let now = ::time::OffsetDateTime::now_utc();
    p.not_before = now;
    p.not_after = now + ::time::Duration::hours(24 * spec.days);
    let mut serial = [0u8; 16];
    rand::rng().fill(&mut serial);
    serial[0] &= 0x7f;
    p.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    p.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    if spec.ca {
        p.key_usages.push(rcgen::KeyUsagePurpose::KeyCertSign);
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    for ip in list_items(spec.ips).unwrap_or_default() {
        let Some(s) = ip.as_str() else {
            return Err(FuncError::new(format!(
                "error parsing ip: {} is not a string",
                strval(&ip)
            )));
        };
        let addr: std::net::IpAddr = s
            .parse()
            .map_err(|_| FuncError::new(format!("error parsing ip: {s}")))?;
        p.subject_alt_names.push(rcgen::SanType::IpAddress(addr));
    }
    for d in list_items(spec.dns).unwrap_or_default() {
        let Some(s) = d.as_str() else {
            return Err(FuncError::new(format!(
                "error processing alternate dns name: {} is not a string",
                strval(&d)
            )));
        };
        let name = s
            .to_string()
            .try_into()
            .map_err(|e: rcgen::Error| FuncError::new(e.to_string()))?;
        p.subject_alt_names.push(rcgen::SanType::DnsName(name));
    }
    Ok(p)
}

fn self_signed(spec: &CertSpec<'_>, key: &PrivKey) -> Result<Value, FuncError> {
    let kp = key.key_pair().map_err(FuncError::new)?;
    let cert = params(spec)?
        .self_signed(&kp)
        .map_err(|e| FuncError::new(e.to_string()))?;
    cert_value(cert.pem(), key)
}

fn ca_parts(ca: &Value) -> Result<(String, String), FuncError> {
    match ca {
        Value::Object(o) if o.type_name() == "sprig.certificate" => {
            let f = |n: &str| {
                o.field(n)
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            };
            Ok((f("Cert"), f("Key")))
        }
        other => Err(FuncError::new(format!(
            "wrong type for value; expected sprig.certificate; got {}",
            other.type_name()
        ))),
    }
}

fn signed(spec: &CertSpec<'_>, ca: &Value, key: &PrivKey) -> Result<Value, FuncError> {
    let (ca_cert, ca_key) = ca_parts(ca)?;
    let ca_key = PrivKey::parse(&ca_key)
        .map_err(|e| FuncError::new(format!("error parsing CA key: {e}")))?
        .key_pair()
        .map_err(FuncError::new)?;
    let issuer = rcgen::Issuer::from_ca_cert_pem(&ca_cert, ca_key)
        .map_err(|e| FuncError::new(format!("error parsing CA certificate: {e}")))?;
    let kp = key.key_pair().map_err(FuncError::new)?;
    let cert = params(spec)?
        .signed_by(&kp, &issuer)
        .map_err(|e| FuncError::new(e.to_string()))?;
    cert_value(cert.pem(), key)
}

fn parse_key_arg(v: &Value) -> Result<PrivKey, FuncError> {
    PrivKey::parse(v.as_str().unwrap_or(""))
        .map_err(|e| FuncError::new(format!("parse private key: {e}")))
}

fn rsa_key() -> Result<PrivKey, FuncError> {
    PrivKey::rsa2048().map_err(|e| FuncError::new(format!("error generating rsa key: {e}")))
}

pub(crate) fn register(r: &mut Reg) {
    add(r, "genPrivateKey", &[Str], None, |a| {
        Ok(Value::from(match PrivKey::generate(arg_str(a, 0)) {
            Ok(Some(k)) => k
                .pem()
                .unwrap_or_else(|e| format!("error generating key: {e}")),
            Ok(None) => format!("Unknown type {}", arg_str(a, 0)),
            Err(e) => format!("error generating key: {e}"),
        }))
    });
    add(r, "genCA", &[Str, Int], None, |a| {
        let spec = CertSpec {
            cn: arg_str(a, 0),
            ips: &Value::Nil,
            dns: &Value::Nil,
            days: arg_int(a, 1),
            ca: true,
        };
        self_signed(&spec, &rsa_key()?)
    });
    add(r, "genCAWithKey", &[Str, Int, Str], None, |a| {
        let spec = CertSpec {
            cn: arg_str(a, 0),
            ips: &Value::Nil,
            dns: &Value::Nil,
            days: arg_int(a, 1),
            ca: true,
        };
        self_signed(&spec, &parse_key_arg(&a[2])?)
    });
    add(r, "genSelfSignedCert", &[Str, List, List, Int], None, |a| {
        let spec = CertSpec {
            cn: arg_str(a, 0),
            ips: &a[1],
            dns: &a[2],
            days: arg_int(a, 3),
            ca: false,
        };
        self_signed(&spec, &rsa_key()?)
    });
    add(
        r,
        "genSelfSignedCertWithKey",
        &[Str, List, List, Int, Str],
        None,
        |a| {
            let spec = CertSpec {
                cn: arg_str(a, 0),
                ips: &a[1],
                dns: &a[2],
                days: arg_int(a, 3),
                ca: false,
            };
            self_signed(&spec, &parse_key_arg(&a[4])?)
        },
    );
    add(
        r,
        "genSignedCert",
        &[Str, List, List, Int, Any],
        None,
        |a| {
            let spec = CertSpec {
                cn: arg_str(a, 0),
                ips: &a[1],
                dns: &a[2],
                days: arg_int(a, 3),
                ca: false,
            };
            signed(&spec, &a[4], &rsa_key()?)
        },
    );
    add(
        r,
        "genSignedCertWithKey",
        &[Str, List, List, Int, Any, Str],
        None,
        |a| {
            let spec = CertSpec {
                cn: arg_str(a, 0),
                ips: &a[1],
                dns: &a[2],
                days: arg_int(a, 3),
                ca: false,
            };
            signed(&spec, &a[4], &parse_key_arg(&a[5])?)
        },
    );
    add(r, "buildCustomCert", &[Str, Str], None, |a| {
        let b64 = base64::engine::general_purpose::STANDARD;
        let cert = b64
            .decode(arg_str(a, 0))
            .map_err(|e| FuncError::new(format!("unable to decode base64 certificate: {e}")))?;
        let key = b64
            .decode(arg_str(a, 1))
            .map_err(|e| FuncError::new(format!("unable to decode base64 private key: {e}")))?;
        let cert = String::from_utf8_lossy(&cert).into_owned();
        let key = String::from_utf8_lossy(&key).into_owned();
        match pem_decode(&cert) {
            Some((label, _)) if label == "CERTIFICATE" => {}
            _ => {
                return Err(FuncError::new(
                    "error parsing certificate: decoded pem is blank",
                ));
            }
        }
        PrivKey::parse(&key)
            .map_err(|e| FuncError::new(format!("error parsing private key: {e}")))?;
        Ok(Value::Object(Arc::new(Certificate { cert, key })))
    });
}
