document.documentElement.classList.add("js"); // see templates/base.html
