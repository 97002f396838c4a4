//! HTTP from the page beyond the server functions: bodies sent with upload progress, the
//! REST endpoints of file data (`docs/api.md`, Files) and streamed downloads. Browser only:
//! compiled on the server, never called there.

use std::cell::RefCell;
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
    let sent = xhr.send_with_opt_blob(body.as_ref()).is_ok();
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
const IDLE_MS: i32 = 30_000;

/// A response body as it arrives.
pub struct Body(web_sys::ReadableStreamDefaultReader);

impl Body {
    /// The next piece; `None` at the end, `Some(Err)` when the connection broke or
    /// stalled for [`IDLE_MS`].
    pub async fn next(&mut self) -> Option<Result<Vec<u8>, ()>> {
        let window = web_sys::window()?;
        let mut timer = None;
        let stalled = js_sys::Promise::new(&mut |_, reject| {
            timer = window
                .set_timeout_with_callback_and_timeout_and_arguments_0(&reject, IDLE_MS)
                .ok();
        });
        let race = js_sys::Promise::race(&js_sys::Array::of2(&self.0.read(), &stalled));
        let read = JsFuture::from(race).await;
        if let Some(timer) = timer {
            window.clear_timeout_with_handle(timer);
        }
        let Ok(read) = read else {
            let _ = self.0.cancel();
            return Some(Err(()));
        };
        let done = js_sys::Reflect::get(&read, &JsValue::from_str("done"))
            .map(|d| d.is_truthy())
            .unwrap_or(true);
        if done {
            return None;
        }
        match js_sys::Reflect::get(&read, &JsValue::from_str("value")) {
            Ok(value) => Some(Ok(js_sys::Uint8Array::new(&value).to_vec())),
            Err(_) => Some(Err(())),
        }
    }

    /// Stops reading (the rest is not wanted).
    pub fn cancel(self) {
        let _ = self.0.cancel();
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
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_cache(web_sys::RequestCache::NoStore);
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
        body: Body(reader),
    })
}
