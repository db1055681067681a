//! The blog as documents (serde_json values, sized as BSON): authors with their posts
//! embedded, posts in their own collection with an `author_id` reference, and posts that also
//! carry a copy of the author's name (the "extended reference" pattern). For each model the
//! example runs a typical page's reads and two updates on in-memory collections and counts,
//! from the data, the queries, the documents touched and their size.
//!
//! Sizes are BSON sizes, computed by [`bson_size`] following the BSON specification
//! (bsonspec.org), because MongoDB's 16 MiB limit applies to a document's BSON size.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::mapper::{author_name, likes, post_title};
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "orm::documents",
    title: "Embedding vs referencing: the same blog as documents, and what reads and updates cost",
    file: file!(),
    default_input: "authors = 3\nposts per author = 3\ncomments per post = 2\ncomment bytes = 40\n",
    input_help: "`authors = N` (1–100), `posts per author = K` (1–200), `comments per post = C` (0–100), \
                 `comment bytes = B` (1–2000, each comment's text); N×K×C×B at most 4,000,000",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

/// MongoDB's maximum BSON document size: 16 MiB.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

// ANCHOR: bson
/// The size of `value` encoded as a BSON document (or, for a non-object, as the value of an
/// element). A document is an int32 length, its elements, and a 0 byte; an element is a type
/// byte, its name as a C string, and its value. Arrays are documents with keys "0", "1", ….
pub fn bson_size(value: &Value) -> usize {
    fn document<'a>(elements: impl Iterator<Item = (String, &'a Value)>) -> usize {
        4 + elements.map(|(name, value)| 1 + name.len() + 1 + bson_size(value)).sum::<usize>() + 1
    }
    match value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        // int32 when it fits, else int64; non-integers are doubles: 8 bytes either way.
        Value::Number(n) => match n.as_i64() {
            Some(i) if i32::try_from(i).is_ok() => 4,
            _ => 8,
        },
        Value::String(s) => 4 + s.len() + 1,
        Value::Array(items) => document(items.iter().enumerate().map(|(i, v)| (i.to_string(), v))),
        Value::Object(fields) => document(fields.iter().map(|(k, v)| (k.clone(), v))),
    }
}
// ANCHOR_END: bson

/// The most comment text one run builds (each model holds a copy): about 4 MB.
const MAX_COMMENT_TEXT: usize = 4_000_000;

/// What the reader chose.
#[derive(Debug, Clone, Copy)]
struct Shape {
    authors: u32,
    posts: u32,
    comments: u32,
    comment_bytes: usize,
}

fn comment(shape: &Shape, post_id: u32, c: u32) -> Value {
    let text: String = format!("comment {c} on post {post_id}: ")
        .chars()
        .chain("great post! ".chars().cycle())
        .take(shape.comment_bytes)
        .collect();
    json!({ "by": format!("reader {}", (post_id * 7 + c) % 50), "text": text })
}

/// Post `j` of author `i` without any author field; `post_id` numbers posts across authors.
fn post_body(shape: &Shape, i: u32, j: u32, post_id: u32) -> Value {
    let comments: Vec<Value> = (1..=shape.comments).map(|c| comment(shape, post_id, c)).collect();
    json!({ "_id": post_id, "title": post_title(&author_name(i), j), "likes": likes(i, j), "comments": comments })
}

// ANCHOR: example
/// A collection: documents, in insertion order.
type Collection = Vec<Value>;

/// One way to store the blog.
struct Model {
    name: &'static str,
    authors: Collection,
    /// Empty when posts live inside the author documents.
    posts: Collection,
}

/// Authors with every post (and every comment) inside: one document per author.
fn embedded(shape: &Shape) -> Model {
    let mut post_id = 0;
    let authors = (1..=shape.authors)
        .map(|i| {
            let posts: Vec<Value> = (1..=shape.posts)
                .map(|j| {
                    post_id += 1;
                    post_body(shape, i, j, post_id)
                })
                .collect();
            json!({ "_id": i, "name": author_name(i), "posts": posts })
        })
        .collect();
    Model { name: "embedded", authors, posts: Vec::new() }
}

/// Authors and posts in two collections; a post holds its author's `_id`, as a foreign key.
/// With `copy_name`, it also holds a copy of the author's name, for pages that show it.
fn referenced(shape: &Shape, copy_name: bool) -> Model {
    let authors = (1..=shape.authors).map(|i| json!({ "_id": i, "name": author_name(i) })).collect();
    let mut posts = Vec::new();
    for i in 1..=shape.authors {
        for j in 1..=shape.posts {
            let mut post = post_body(shape, i, j, posts.len() as u32 + 1);
            let author = if copy_name { json!({ "_id": i, "name": author_name(i) }) } else { json!(i) };
            let key = if copy_name { "author" } else { "author_id" };
            post.as_object_mut().expect("a post is an object").insert(key.to_string(), author);
            posts.push(post);
        }
    }
    let name = if copy_name { "with name copy" } else { "referenced" };
    Model { name, authors, posts }
}
// ANCHOR_END: example

/// What a page or an update cost: queries sent, documents read or written, their BSON bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Cost {
    queries: usize,
    documents: usize,
    bytes: usize,
}

impl Cost {
    /// One query that returns `found`.
    fn read(&mut self, found: &[&Value]) {
        self.queries += 1;
        self.documents += found.len();
        self.bytes += found.iter().map(|doc| bson_size(doc)).sum::<usize>();
    }
}

fn find(collection: &Collection, matches: impl Fn(&Value) -> bool) -> Vec<&Value> {
    collection.iter().filter(|doc| matches(doc)).collect()
}

fn author_of(post: &Value) -> Option<&Value> {
    post.get("author_id").or_else(|| post.get("author").and_then(|author| author.get("_id")))
}

// ANCHOR: operations
/// The author page: the author and the titles of their posts.
fn author_page(model: &Model, author: u32) -> Cost {
    let mut cost = Cost::default();
    cost.read(&find(&model.authors, |doc| doc["_id"] == author));
    if !model.posts.is_empty() {
        cost.read(&find(&model.posts, |doc| author_of(doc) == Some(&json!(author))));
    }
    cost
}

/// The post page: one post, its comments and its author's name.
fn post_page(model: &Model, post: u32) -> Cost {
    let mut cost = Cost::default();
    if model.posts.is_empty() {
        // The post lives inside its author's document: find that document by the post's id.
        let in_author =
            |doc: &Value| doc["posts"].as_array().is_some_and(|posts| posts.iter().any(|p| p["_id"] == post));
        cost.read(&find(&model.authors, in_author));
        return cost;
    }
    let found = find(&model.posts, |doc| doc["_id"] == post);
    cost.read(&found);
    let has_name = found.first().is_some_and(|doc| doc.get("author").is_some());
    if let (false, Some(author)) = (has_name, found.first().and_then(|doc| author_of(doc)).cloned()) {
        cost.read(&find(&model.authors, |doc| doc["_id"] == author));
    }
    cost
}

/// Applies `change` to every document of both collections and counts those it changed:
/// the documents an update must write, whichever way it is phrased.
fn write(model: &mut Model, change: impl Fn(&mut Value)) -> Cost {
    let mut cost = Cost::default();
    for doc in model.authors.iter_mut().chain(model.posts.iter_mut()) {
        let before = doc.clone();
        change(doc);
        if *doc != before {
            cost.documents += 1;
            cost.bytes += bson_size(doc);
        }
    }
    cost
}

/// Renames an author wherever the name is stored.
fn rename_author(model: &mut Model, author: u32, new_name: &str) -> Cost {
    write(model, |doc| {
        if doc["_id"] == author && doc.get("name").is_some() && doc.get("title").is_none() {
            doc["name"] = json!(new_name);
        }
        if let Some(copy) = doc.get_mut("author")
            && copy["_id"] == author
        {
            copy["name"] = json!(new_name);
        }
    })
}

/// Appends a comment to a post, wherever the post is stored.
fn add_comment(model: &mut Model, post: u32, comment: &Value) -> Cost {
    let push = |p: &mut Value| {
        if p["_id"] == post
            && let Some(comments) = p["comments"].as_array_mut()
        {
            comments.push(comment.clone());
        }
    };
    write(model, |doc| {
        if doc.get("title").is_some() {
            push(doc);
        } else if let Some(posts) = doc.get_mut("posts").and_then(Value::as_array_mut) {
            posts.iter_mut().for_each(push);
        }
    })
}
// ANCHOR_END: operations

/// Prints a document as JSON, each value on one line when it fits in `width`.
fn render(value: &Value, indent: usize, width: usize, out: &mut String) {
    let compact = value.to_string();
    if indent + compact.len() <= width {
        out.push_str(&compact);
        return;
    }
    let pad = " ".repeat(indent + 2);
    let (open, close, items): (char, char, Vec<(Option<&String>, &Value)>) = match value {
        Value::Object(fields) => ('{', '}', fields.iter().map(|(k, v)| (Some(k), v)).collect()),
        Value::Array(items) => ('[', ']', items.iter().map(|v| (None, v)).collect()),
        _ => {
            out.push_str(&compact);
            return;
        }
    };
    out.push(open);
    out.push('\n');
    for (index, (key, item)) in items.iter().enumerate() {
        out.push_str(&pad);
        if let Some(key) = key {
            let _ = write!(out, "{}: ", Value::String((*key).clone()));
        }
        render(item, indent + 2, width, out);
        out.push_str(if index + 1 < items.len() { ",\n" } else { "\n" });
    }
    out.push_str(&" ".repeat(indent));
    out.push(close);
}

/// `value` with every object's keys in sorted order. serde_json keeps an object's keys sorted
/// or in insertion order depending on a cargo feature (`preserve_order`), which another crate
/// of the workspace may turn on (merman, in the preprocessor); printing sorted keys keeps the
/// output the same in every build.
fn sorted_keys(value: &Value) -> Value {
    match value {
        Value::Object(fields) => {
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|key| (key.clone(), sorted_keys(&fields[key]))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}

fn show(out: &mut String, label: &str, doc: &Value) {
    let mut text = String::new();
    render(&sorted_keys(doc), 2, 100, &mut text);
    let lines = text.lines().count();
    if lines > 40 {
        let _ = writeln!(out, "{label} ({} bytes as BSON; {lines} lines of JSON, not shown)", bson_size(doc));
    } else {
        let _ = writeln!(out, "{label} ({} bytes as BSON):\n  {text}", bson_size(doc));
    }
}

fn run(input: &str) -> Result<String, InputError> {
    let params =
        Params::parse(input, &["authors", "posts per author", "comments per post", "comment bytes"])?;
    let shape = Shape {
        authors: params.number_or("authors", 1, 100, 3)?,
        posts: params.number_or("posts per author", 1, 200, 3)?,
        comments: params.number_or("comments per post", 0, 100, 2)?,
        comment_bytes: params.number_or("comment bytes", 1, 2_000, 40)?,
    };
    let text_bytes =
        shape.authors as usize * shape.posts as usize * shape.comments as usize * shape.comment_bytes;
    if text_bytes > MAX_COMMENT_TEXT {
        return Err(InputError::new(format!(
            "authors × posts × comments × comment bytes is {text_bytes}; at most {MAX_COMMENT_TEXT} keeps the run small"
        )));
    }
    let mut models = [embedded(&shape), referenced(&shape, false), referenced(&shape, true)];
    let mut out = String::new();
    show(&mut out, "embedded: authors document 1", &models[0].authors[0]);
    show(&mut out, "referenced: authors document 1", &models[1].authors[0]);
    show(&mut out, "referenced: posts document 1", &models[1].posts[0]);
    show(&mut out, "with name copy: posts document 1", &models[2].posts[0]);

    // How far each document can grow, from the sizes before any update.
    let author_doc = &models[0].authors[0];
    let mut without_posts = author_doc.clone();
    without_posts["posts"] = json!([]);
    let per_post = (bson_size(author_doc) - bson_size(&without_posts)).div_ceil(shape.posts as usize);
    let post_doc = bson_size(&models[1].posts[0]);
    // An array element: type byte, index as a C string (up to 7 digits here), the document.
    let per_comment = 1 + 8 + bson_size(&comment(&shape, 1, 1));
    let limits = format!(
        "\nThe 16 MiB limit ({MAX_DOCUMENT_BYTES} bytes): embedded author document 1 is {} B, about {per_post} B\n\
         per post, so it would reach the limit near {} posts. A referenced post document is {post_doc} B;\n\
         with comments of {per_comment} B it would reach it near {} comments.\n",
        bson_size(author_doc),
        MAX_DOCUMENT_BYTES / per_post,
        (MAX_DOCUMENT_BYTES - post_doc) / per_comment
    );

    out.push_str("\nReads: queries sent, documents returned, their BSON bytes\n");
    out.push_str("model             author page (author 1)    post page (post 1)\n");
    for model in &models {
        let (a, p) = (author_page(model, 1), post_page(model, 1));
        let _ = writeln!(
            out,
            "{:<16}  {:>2} q {:>5} docs {:>9} B  {:>2} q {:>5} docs {:>9} B",
            model.name, a.queries, a.documents, a.bytes, p.queries, p.documents, p.bytes
        );
    }

    out.push_str("\nWrites: documents changed, their BSON bytes, and whether one document write does it\n");
    out.push_str("model             rename author 1                 add a comment to post 1\n");
    let new_comment = comment(&shape, 1, shape.comments + 1);
    for model in &mut models {
        let rename = rename_author(model, 1, "Ada Lovelace");
        let added = add_comment(model, 1, &new_comment);
        let atomic = |cost: Cost| if cost.documents == 1 { "atomic" } else { "not atomic" };
        let _ = writeln!(
            out,
            "{:<16}  {:>5} docs {:>9} B {:<10}  {:>5} docs {:>9} B {}",
            model.name,
            rename.documents,
            rename.bytes,
            atomic(rename),
            added.documents,
            added.bytes,
            atomic(added)
        );
    }
    out.push_str(&limits);

    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bson_sizes_match_the_specifications_examples() {
        // bsonspec.org's two examples: \x16\x00\x00\x00 … and \x31\x00\x00\x00 ….
        assert_eq!(bson_size(&json!({ "hello": "world" })), 0x16);
        assert_eq!(bson_size(&json!({ "BSON": ["awesome", 5.05, 1986] })), 0x31);
        assert_eq!(bson_size(&json!({})), 5);
        assert_eq!(bson_size(&json!({ "n": 1_i64 << 40 })), 4 + 1 + 2 + 8 + 1);
    }

    #[test]
    fn costs_follow_from_the_data() {
        for (authors, posts, comments) in [(1, 1, 0), (3, 3, 2), (5, 17, 4), (40, 2, 0)] {
            let shape = Shape { authors, posts, comments, comment_bytes: 30 };
            let k = posts as usize;
            let new_comment = comment(&shape, 1, comments + 1);
            let case = format!("{authors} authors, {posts} posts each, {comments} comments each");

            let mut emb = embedded(&shape);
            assert_eq!(
                author_page(&emb, 1),
                Cost { queries: 1, documents: 1, bytes: bson_size(&emb.authors[0]) },
                "{case}"
            );
            assert_eq!(
                post_page(&emb, 1),
                author_page(&emb, 1),
                "{case}: the post page reads the whole author"
            );
            let rename = rename_author(&mut emb, 1, "Ada Lovelace");
            assert_eq!((rename.documents, rename.bytes), (1, bson_size(&emb.authors[0])), "{case}");
            let added = add_comment(&mut emb, 1, &new_comment);
            assert_eq!((added.documents, added.bytes), (1, bson_size(&emb.authors[0])), "{case}");
            assert_eq!(
                emb.authors[0]["posts"][0]["comments"].as_array().unwrap().len(),
                comments as usize + 1
            );

            let mut refd = referenced(&shape, false);
            let page = author_page(&refd, 1);
            assert_eq!((page.queries, page.documents), (2, 1 + k), "{case}");
            assert_eq!(post_page(&refd, 1).queries, 2, "{case}");
            let rename = rename_author(&mut refd, 1, "Ada Lovelace");
            assert_eq!((rename.documents, rename.bytes), (1, bson_size(&refd.authors[0])), "{case}");
            let added = add_comment(&mut refd, 1, &new_comment);
            assert_eq!((added.documents, added.bytes), (1, bson_size(&refd.posts[0])), "{case}");

            let mut copy = referenced(&shape, true);
            assert_eq!(post_page(&copy, 1).queries, 1, "{case}");
            let rename = rename_author(&mut copy, 1, "Ada Lovelace");
            let author_posts: usize = copy.posts[..k].iter().map(bson_size).sum();
            assert_eq!(rename.documents, 1 + k, "{case}: the author and each copy of the name");
            assert_eq!(rename.bytes, bson_size(&copy.authors[0]) + author_posts, "{case}");
            assert!(copy.posts[k..].iter().all(|p| p["author"]["name"] != "Ada Lovelace"), "{case}");
        }
    }

    #[test]
    fn bad_input_names_its_line() {
        assert_eq!(run("authors = 0").unwrap_err().line, Some(1));
        assert_eq!(run("authors = 2\ncomment bytes = lots").unwrap_err().line, Some(2));
        assert!(
            run("authors = 100\nposts per author = 200\ncomments per post = 100\ncomment bytes = 2000")
                .is_err()
        );
        assert!(run("posts per author = 200\ncomment bytes = 2000").is_ok());
    }
}
