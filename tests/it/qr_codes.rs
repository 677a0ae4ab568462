//! The codes a hall scans: the projector's rotating code read by zbar (Debian's `zbarimg`)
//! from a screenshot scaled down to a tenth, as a phone sees it from the back of the hall; the
//! short link it carries opening the form; and the links of older codes still working.

use std::path::Path;
use std::process::Command;

use attendance::domain::SessionId;
use attendance::model::{NewSession, QrMode, Session};
use attendance::web::attend::{short, tokens};
use harness::{AppOptions, TestApp, spawn_app_with};
use jiff::ToSpan;

use crate::fixtures::{new_session, new_unit};

/// A logged-in lecturer `jkamau` with unit CS101, and a session tomorrow at `hour`:00, the
/// app's clock at its start.
async fn session(app: &TestApp, hour: i8, change: impl FnOnce(&mut NewSession)) -> Session {
    let store = &app.firestore.store;
    let first = store.lecturer(&crate::fixtures::username("jkamau")).await.expect("read").is_none();
    if first {
        store.create_unit(&new_unit("CS101", "jkamau")).await.expect("unit");
    }
    let tomorrow = jiff::Zoned::now().date().checked_add(1.day()).expect("date");
    let mut new = new_session("CS101", "jkamau", tomorrow, hour);
    change(&mut new);
    let session = store.create_session(&new).await.expect("session");
    app.at_start_of(&session);
    // Logged in at the lecture's time: a login from before the clock moved has gone idle.
    if first {
        app.logged_in("jkamau").await;
    } else {
        app.log_in_again().await;
    }
    session
}

fn signer(options: &AppOptions) -> attendance::auth::tokens::Signer {
    attendance::auth::tokens::Signer::new(options.secret_key.clone())
}

/// The session's short link as a path: `/A/<id>`.
fn short_path(session: &Session) -> String {
    format!("/A/{}", short::encode_id(session.id))
}

/// A QR code's modules, read back from the `<svg>` the app draws (`attendance::qr::svg`).
struct Symbol {
    /// Modules across, quiet zone included.
    size: usize,
    dark: Vec<bool>,
}

impl Symbol {
    fn from_svg(svg: &str) -> Self {
        let after = |marker: &str| {
            &svg[svg.find(marker).unwrap_or_else(|| panic!("{marker} in {svg}")) + marker.len()..]
        };
        let size: usize =
            after("viewBox=\"0 0 ").split(' ').next().and_then(|n| n.parse().ok()).expect("viewBox");
        let path = after("<path d=\"");
        let path = &path[..path.find('"').expect("end of path")];
        let mut dark = vec![false; size * size];
        // Each dark module is `M{x} {y}h1v1h-1z`.
        for module in path.split('M').filter(|m| !m.is_empty()) {
            let corner = module.split('h').next().expect("corner");
            let (x, y) = corner.split_once(' ').expect("x y");
            let (x, y): (usize, usize) = (x.parse().expect("x"), y.parse().expect("y"));
            dark[y * size + x] = true;
        }
        Self { size, dark }
    }

    /// Modules across without the quiet zone: 21 + 4 per version above 1.
    fn width(&self) -> usize {
        self.size - 8
    }
}

/// The frame a 1080p projector shows, scaled down to a tenth: the code 66vh wide (the
/// projector page's `min(66vh, 92vw)`), centred, with crisp module edges (its
/// `shape-rendering="crispEdges"`: a frame pixel is dark when its centre is in a dark module),
/// moved by `(dx, dy)` frame pixels; then each 10 × 10 block of frame pixels averaged into
/// one, as a camera's sensor averages the light falling on a pixel. 192 × 108 pixels, the code
/// about 71 across.
fn tenth_of_frame(symbol: &Symbol, dx: f64, dy: f64) -> (u32, u32, Vec<u8>) {
    const FRAME: (usize, usize) = (1920, 1080);
    const SCALE: usize = 10;
    let side = 0.66 * FRAME.1 as f64;
    let module = side / symbol.size as f64;
    let (left, top) = ((FRAME.0 as f64 - side) / 2.0 + dx, (FRAME.1 as f64 - side) / 2.0 + dy);
    let dark_at = |x: usize, y: usize| {
        let mx = ((x as f64 + 0.5 - left) / module).floor();
        let my = ((y as f64 + 0.5 - top) / module).floor();
        (0.0..symbol.size as f64).contains(&mx)
            && (0.0..symbol.size as f64).contains(&my)
            && symbol.dark[my as usize * symbol.size + mx as usize]
    };
    let (width, height) = (FRAME.0 / SCALE, FRAME.1 / SCALE);
    let mut pixels = vec![255u8; width * height];
    // Only the blocks the code covers can hold a dark pixel.
    let blocks = |start: f64| (start as usize / SCALE)..((start + side) as usize / SCALE + 1);
    for by in blocks(top) {
        for bx in blocks(left) {
            let dark = (0..SCALE * SCALE)
                .filter(|i| dark_at(bx * SCALE + i % SCALE, by * SCALE + i / SCALE))
                .count();
            pixels[by * width + bx] = (255 * (SCALE * SCALE - dark) / (SCALE * SCALE)) as u8;
        }
    }
    (width as u32, height as u32, pixels)
}

fn write_png(path: &Path, (width, height, pixels): (u32, u32, Vec<u8>)) {
    let file = std::fs::File::create(path).expect("png file");
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("png header");
    writer.write_image_data(&pixels).expect("png data");
}

/// What zbar reads in the image at `path`, if anything.
fn zbar(path: &Path) -> Option<String> {
    let output = Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(path)
        .output()
        .unwrap_or_else(|e| {
            panic!("zbarimg could not run ({e}): install it with `apt-get install zbar-tools` (scripts/test does)")
        });
    let text = String::from_utf8_lossy(&output.stdout).trim_end_matches('\n').to_owned();
    (output.status.success() && !text.is_empty()).then_some(text)
}

/// What zbar reads in the frames a phone takes of `symbol` projected at 66vh of 1080p, seen
/// from ten times the distance at which the frame fills its view. A phone's camera takes many
/// frames, each with the code a little elsewhere on its sensor: nine placements a third of a
/// (scaled) pixel apart. A third of them must read, all the same.
fn scans_at_a_tenth(symbol: &Symbol) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("qr-codes-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut read = Vec::new();
    for i in 0..9 {
        let (dx, dy) = (f64::from(i % 3) * 10.0 / 3.0, f64::from(i / 3) * 10.0 / 3.0);
        let path = dir.join(format!("frame-{i}.png"));
        write_png(&path, tenth_of_frame(symbol, dx, dy));
        read.extend(zbar(&path));
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "zbar read {} of 9 frames of a {}-module code at a tenth of the frame",
        read.len(),
        symbol.width()
    );
    assert!(read.len() >= 3, "zbar read {} of 9 frames ({} modules): {read:?}", read.len(), symbol.width());
    assert!(read.iter().all(|r| *r == read[0]), "{read:?}");
    read
}

#[tokio::test]
async fn the_projected_rotating_code_scans_from_a_tenth_of_the_frame() {
    let options = AppOptions::default();
    let signer = signer(&options);
    let app = spawn_app_with(options).await;
    let rotating = session(&app, 8, |s| s.qr_mode = QrMode::Rotating).await;
    let page = app.browser.text(&format!("/session/{}/present/", rotating.id)).await;
    let token = tokens::qr_token(&signer, rotating.id, tokens::window(app.clock.now_secs(), 15));
    let start = page.find("<svg").expect("the projector shows a code");
    let symbol = Symbol::from_svg(&page[start..start + page[start..].find("</svg>").expect("svg end")]);
    // `HTTP://127.0.0.1:<port>/A/`, 25 digits of session and 11 of token, all alphanumeric:
    // version 3 (29 modules). The long link and token before made version 8 (49).
    assert_eq!(symbol.width(), 29, "a sparse code");

    let url = scans_at_a_tenth(&symbol).swap_remove(0);
    assert!(url.starts_with(&app.address.to_ascii_uppercase()), "{url}");
    assert!(url.contains(&short::encode_id(rotating.id)) && url.ends_with(&token), "{url}");

    // The phone opens what it read: the form, its token marked as a fresh scan.
    let phone = app.new_browser();
    let response = phone.client.get(&url).send().await.expect("app answers");
    assert_eq!(response.status(), 200, "{url}");
    let html = response.text().await.expect("html");
    let form_token = harness::input_value(&html, "form_token").expect("the form");
    assert!(form_token.contains(".r."), "opened by a fresh rotating scan: {form_token}");
    let attended =
        phone.submit_attendance(&rotating.id.to_string(), &form_token, "Jane Doe", "ADM/2023/001").await;
    assert!(attended.html.contains("You are marked present"), "{}", attended.html);
}

#[tokio::test]
async fn a_rotating_link_is_a_version_3_code() {
    // The projector's code once it builds its link with `attend::rotating_url`: 61 characters
    // (`HTTP://127.0.0.1:<port>/A/`, 25 digits of session, 11 of token), all alphanumeric.
    let options = AppOptions::default();
    let signer = signer(&options);
    let app = spawn_app_with(options).await;
    let rotating = session(&app, 8, |s| s.qr_mode = QrMode::Rotating).await;
    let base = attendance::config::BaseUrl::parse(&app.address).expect("base");
    let link = short::link(&base, rotating.id);
    let token = tokens::qr_token(&signer, rotating.id, tokens::window(app.clock.now_secs(), 15));
    let url = attendance::web::attend::rotating_url(&link, &token);
    let symbol = Symbol::from_svg(&attendance::qr::svg(&url, "code").expect("svg"));
    assert_eq!(symbol.width(), 29, "version 3 for {url}");
    assert_eq!(scans_at_a_tenth(&symbol)[0], url);
    let response = app.new_browser().client.get(&url).send().await.expect("app answers");
    assert_eq!(response.status(), 200, "{url}");
}

#[tokio::test]
async fn printed_codes_old_and_new_open_the_form() {
    let options = AppOptions::default();
    let app = spawn_app_with(options).await;
    let printed = session(&app, 8, |_| {}).await;
    let id = printed.id.to_string();
    // Codes printed before short links carry `/attend/<uuid>/`; they work for good.
    let old = app.get(&format!("/attend/{id}/")).await;
    assert_eq!(old.status(), 200);
    assert!(harness::input_value(&old.text().await.expect("html"), "form_token").is_some());
    // The short link, and the same typed in lower case from the projector.
    for path in [short_path(&printed), short_path(&printed).to_ascii_lowercase()] {
        let response = app.new_browser().get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.expect("html");
        assert!(
            html.contains(&format!("action=\"/attend/{id}/\"")),
            "the form posts to the long path: {path}"
        );
    }
    // A student marks through the short link.
    let phone = app.new_browser();
    let html = phone.text(&short_path(&printed)).await;
    let form_token = harness::input_value(&html, "form_token").expect("form");
    let attended = phone.submit_attendance(&id, &form_token, "Jane Doe", "ADM/2023/001").await;
    assert!(attended.html.contains("You are marked present"), "{}", attended.html);

    // Not a session: the friendly "not found", without a Firestore read for junk.
    for path in [
        "/A/XYZ".to_owned(),
        format!("/A/{}", "Z".repeat(25)),
        format!("/A/{}", short::encode_id(SessionId::new_random())),
        format!("{}K", short_path(&printed)),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(response.text().await.expect("html").contains("Session not found"), "{path}");
    }
}

#[tokio::test]
async fn rotating_short_links_check_their_token() {
    let options = AppOptions::default();
    let signer = signer(&options);
    let app = spawn_app_with(options).await;
    let rotating = session(&app, 8, |s| s.qr_mode = QrMode::Rotating).await;
    let other = session(&app, 10, |s| s.qr_mode = QrMode::Rotating).await;
    app.at_start_of(&rotating);
    let window = tokens::window(app.clock.now_secs(), 15);
    let token_for = |session: SessionId, window| tokens::qr_token(&signer, session, window);
    let fresh = token_for(rotating.id, window);
    let link = short_path(&rotating);

    // The code on the screen now, the one before, as the projector builds it before and after
    // `attend::rotating_url`, and on the long path: the form.
    for path in [
        format!("{link}{fresh}"),
        format!("{link}{}", token_for(rotating.id, window - 1)),
        format!("{link}{}", fresh.to_ascii_lowercase()),
        format!("{link}?t={fresh}"),
        format!("/attend/{}/?t={fresh}", rotating.id),
    ] {
        let response = app.new_browser().get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.expect("html");
        assert!(harness::input_value(&html, "form_token").is_some_and(|t| t.contains(".r.")), "{path}");
    }

    // Expired, edited, another session's, another window's digit, the old token format, or
    // none: "scan again", nothing recorded.
    let mut edited = fresh.clone().into_bytes();
    edited[4] = if edited[4] == b'7' { b'8' } else { b'7' };
    let edited = String::from_utf8(edited).expect("ascii");
    let moved = format!("{}{}", &token_for(rotating.id, window + 5)[..1], &fresh[1..]);
    for path in [
        format!("{link}{}", token_for(rotating.id, window - 3)),
        format!("{link}{edited}"),
        format!("{link}{}", token_for(other.id, window)),
        format!("{link}{moved}"),
        format!("/attend/{}/?t={window}.{}", rotating.id, "A".repeat(22)),
        link.clone(),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), 400, "{path}");
        assert!(response.text().await.expect("html").contains("Scan the code on the screen again"), "{path}");
    }
    assert!(app.firestore.rest().list_as_admin("attendance").await.is_empty());
}
