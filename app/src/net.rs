//! HTTP from the page beyond the server functions: bodies sent with upload progress, the
//! REST endpoints of file data (`docs/api.md`, Files) and streamed downloads. Browser only:
//! compiled on the server, never called there.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// An HTTP answer: status and body.
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Response body.
    pub body: Vec<u8>,
}

impl Reply {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A request that can be cut off from elsewhere (the Cancel button).
#[derive(Clone, Default)]
pub struct Abort(Rc<RefCell<Vec<web_sys::XmlHttpRequest>>>);

impl Abort {
    /// Aborts every request under way that was sent with this handle.
    pub fn abort(&self) {
        for xhr in self.0.borrow_mut().drain(..) {
            let _ = xhr.abort();
        }
    }

    fn hold(&self, xhr: &web_sys::XmlHttpRequest) {
        self.0.borrow_mut().push(xhr.clone());
    }

    fn release(&self, xhr: &web_sys::XmlHttpRequest) {
        self.0.borrow_mut().retain(|x| x != xhr);
    }
}

/// Sends a request with `XMLHttpRequest`, which (unlike `fetch`) reports upload progress:
/// `progress` gets the bytes sent so far. `None` on a network error or an abort.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
    progress: impl Fn(f64) + 'static,
    abort: Option<&Abort>,
) -> Option<Reply> {
    // The body as a Blob: given bytes (a view into the WASM memory, or a copy), Chromium's
    // `send` blocked the page about 150 ms per 8 MiB part (profile of a 256 MiB upload).
    let body = match body {
        Some(bytes) => Some(
            web_sys::Blob::new_with_u8_array_sequence(&js_sys::Array::of1(
                &js_sys::Uint8Array::from(bytes),
            ))
            .ok()?,
        ),
        None => None,
    };
    send_blob(method, url, headers, body.as_ref(), progress, abort).await
}

/// [`send`] with a body already in a Blob (an upload's part).
pub async fn send_blob(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&web_sys::Blob>,
    progress: impl Fn(f64) + 'static,
    abort: Option<&Abort>,
) -> Option<Reply> {
    let xhr = web_sys::XmlHttpRequest::new().ok()?;
    xhr.open(method, url).ok()?;
    for (name, value) in headers {
        xhr.set_request_header(name, value).ok()?;
    }
    xhr.set_response_type(web_sys::XmlHttpRequestResponseType::Arraybuffer);

    let on_progress =
        Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |ev: web_sys::ProgressEvent| {
            progress(ev.loaded());
        });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    let done = js_sys::Promise::new(&mut |resolve, reject| {
        xhr.set_onload(Some(&resolve));
        xhr.set_onerror(Some(&reject));
        xhr.set_onabort(Some(&reject));
    });
    if let Some(abort) = abort {
        abort.hold(&xhr);
    }
    let sent = xhr.send_with_opt_blob(body).is_ok();
    let outcome = if sent {
        JsFuture::from(done).await.is_ok()
    } else {
        false
    };
    if let Some(abort) = abort {
        abort.release(&xhr);
    }
    // The closure must live until the request has finished.
    drop(on_progress);
    if !outcome {
        return None;
    }
    let body = xhr
        .response()
        .ok()
        .map(|buffer| js_sys::Uint8Array::new(&buffer).to_vec())
        .unwrap_or_default();
    Some(Reply {
        status: xhr.status().ok()?,
        body,
    })
}

/// How long a download may stall before it counts as broken (and is resumed).
const IDLE_MS: f64 = 30_000.0;
/// How often a download's watchdog looks for a stall.
const WATCH_EVERY_MS: i32 = 5_000;

/// A response body as it arrives. One watchdog per body (not a timer per piece: a 1 GiB
/// file arrives in about 16,000 pieces) aborts the request once nothing came for
/// [`IDLE_MS`], which breaks the pending read.
pub struct Body {
    reader: web_sys::ReadableStreamDefaultReader,
    /// When the last piece came (`Date.now()`), shared with the watchdog.
    last: Rc<Cell<f64>>,
    watchdog: Option<(i32, Closure<dyn Fn()>)>,
}

impl Body {
    fn new(
        reader: web_sys::ReadableStreamDefaultReader,
        controller: web_sys::AbortController,
    ) -> Self {
        let last = Rc::new(Cell::new(js_sys::Date::now()));
        let seen = last.clone();
        let watch = Closure::<dyn Fn()>::new(move || {
            if js_sys::Date::now() - seen.get() > IDLE_MS {
                controller.abort();
            }
        });
        let watchdog = web_sys::window().and_then(|window| {
            window
                .set_interval_with_callback_and_timeout_and_arguments_0(
                    watch.as_ref().unchecked_ref(),
                    WATCH_EVERY_MS,
                )
                .ok()
                .map(|handle| (handle, watch))
        });
        Self {
            reader,
            last,
            watchdog,
        }
    }

    /// The next piece; `None` at the end, `Some(Err)` when the connection broke or
    /// stalled for [`IDLE_MS`].
    pub async fn next(&mut self) -> Option<Result<js_sys::Uint8Array, ()>> {
        let Ok(read) = JsFuture::from(self.reader.read()).await else {
            let _ = self.reader.cancel();
            return Some(Err(()));
        };
        self.last.set(js_sys::Date::now());
        let done = js_sys::Reflect::get(&read, &JsValue::from_str("done"))
            .map(|d| d.is_truthy())
            .unwrap_or(true);
        if done {
            return None;
        }
        match js_sys::Reflect::get(&read, &JsValue::from_str("value")) {
            // Already a Uint8Array: `Uint8Array::new` of it would copy it.
            Ok(value) => Some(value.dyn_into().map_err(drop)),
            Err(_) => Some(Err(())),
        }
    }

    /// Stops reading (the rest is not wanted).
    pub fn cancel(self) {
        let _ = self.reader.cancel();
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        if let Some((handle, _watch)) = self.watchdog.take()
            && let Some(window) = web_sys::window()
        {
            window.clear_interval_with_handle(handle);
        }
    }
}

/// A response whose body is read as it arrives.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The `Content-Range` header, if any.
    pub content_range: Option<String>,
    /// The body.
    pub body: Body,
}

/// `GET url` with `fetch`. `Err` on a network error.
pub async fn get_streamed(url: &str, headers: &[(&str, &str)]) -> Result<Answer, ()> {
    let window = web_sys::window().ok_or(())?;
    let controller = web_sys::AbortController::new().map_err(|_| ())?;
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_cache(web_sys::RequestCache::NoStore);
    init.set_signal(Some(&controller.signal()));
    let h = web_sys::Headers::new().map_err(|_| ())?;
    for (name, value) in headers {
        h.set(name, value).map_err(|_| ())?;
    }
    init.set_headers(&h);
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| ())?
        .dyn_into()
        .map_err(|_| ())?;
    let stream = response.body().ok_or(())?;
    let reader: web_sys::ReadableStreamDefaultReader =
        stream.get_reader().dyn_into().map_err(|_| ())?;
    Ok(Answer {
        status: response.status(),
        content_range: response.headers().get("content-range").ok().flatten(),
        body: Body::new(reader, controller),
    })
}
